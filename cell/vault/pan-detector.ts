// Spots card numbers (PANs) that partners paste into free text (descriptions, references,
// metadata, holder names) so the edge can refuse them before they are stored or logged.
//
// What counts: a run of digits, where consecutive digits may be split by up to 3 separators
// (space, tab, no-break space, hyphen or a Unicode dash) after a group of at most 6 digits (every
// written card format groups 4 to 6 digits: 4-4-4-4, 4-6-5, 4-6-4; a 13-digit timestamp followed
// by "-18" is two numbers, not a 15-digit card), that
// - is 13 to 19 digits long and passes Luhn as a whole (the usual data-discovery rule), or
// - is longer than 19 digits and holds a Luhn-valid stretch of 13 to 19 digits anywhere in it.
// The text is NFKC-normalised first, so full-width digits count as digits.
//
// Decided on purpose:
// - A Luhn-valid stretch *inside* a run longer than any PAN (a 16-digit PAN within a 25-digit
//   number) counts: PCI DSS scanners flag such substrings, and a PAN glued to an order number is
//   still a PAN. A run that long can only be a PAN with something glued on, or a long number;
//   most such runs hold some Luhn-valid stretch, so in practice runs of 20+ digits are refused
//   unless they are very regular (e.g. all ones). Partners keep long numbers in fewer digits
//   or with letters in them.
// - A run of 13–19 digits is judged as a whole, so ordinary non-Luhn references of that length
//   pass (checking every stretch of a 16-digit run would refuse about 65% of random ones).
// - Runs of 12 digits or fewer are never refused.
// - Runs and stretches starting with 0 are ignored: no card network issues PANs with major
//   industry identifier 0, and it spares zero-padded counters ("0000000000000" is Luhn-valid).
// - Runs and stretches starting with 1 count only at 15 digits: the one network with major
//   industry identifier 1 (UATP, airlines) issues 15-digit numbers. This spares epoch timestamps
//   in milliseconds (13 digits), microseconds (16) and nanoseconds (19), which start with 1 until
//   the year 2286 and are what many partners build idempotency keys and references from: one in
//   ten of them passes Luhn, so they were refused at random.
// - The detector never returns or logs what it found: callers only learn "there is one".

const MIN_PAN = 13;
const MAX_PAN = 19;
const MAX_SEPARATORS = 3;
const MAX_GROUP = 6;
const separator = /[\s\u00a0\-\u2010-\u2015\u2212]/;

/** True when `text` holds something that looks like a card number (see the rules above). */
export function containsCardNumber(text: string): boolean {
  // Fast path: most free text has no 13 digits at all. Non-ASCII characters are counted too, as
  // NFKC may turn them into digits (full-width, mathematical digits).
  let digitCount = 0;
  for (let i = 0; i < text.length && digitCount < MIN_PAN; i++) {
    const ch = text.charCodeAt(i);
    if ((ch >= 48 && ch <= 57) || ch > 127) digitCount++;
  }
  if (digitCount < MIN_PAN) return false;
  for (const run of digitRuns(text.normalize("NFKC"))) {
    if (run.length < MIN_PAN) continue;
    if (run.length <= MAX_PAN ? couldBePan(run, 0, run.length) : hasLuhnStretch(run)) return true;
  }
  return false;
}

/** Maximal runs of digits: up to MAX_SEPARATORS separators may follow a group of up to MAX_GROUP digits. */
function* digitRuns(text: string): Generator<number[]> {
  let run: number[] = [];
  let group = 0; // digits since the last separator
  let pendingSeparators = 0;
  for (const ch of text) {
    if (ch >= "0" && ch <= "9") {
      if (pendingSeparators > 0) group = 0;
      run.push(ch.charCodeAt(0) - 48);
      group++;
      pendingSeparators = 0;
    } else if (
      run.length > 0 &&
      group <= MAX_GROUP &&
      separator.test(ch) &&
      pendingSeparators < MAX_SEPARATORS
    ) {
      pendingSeparators++;
    } else {
      if (run.length > 0) yield run;
      run = [];
      group = 0;
      pendingSeparators = 0;
    }
  }
  if (run.length > 0) yield run;
}

function hasLuhnStretch(digits: number[]): boolean {
  for (let start = 0; start + MIN_PAN <= digits.length; start++) {
    const longest = Math.min(MAX_PAN, digits.length - start);
    for (let length = MIN_PAN; length <= longest; length++) {
      if (couldBePan(digits, start, start + length)) return true;
    }
  }
  return false;
}

/** digits[start, end) has a PAN's first digit for its length (see the rules above) and passes Luhn. */
function couldBePan(digits: readonly number[], start: number, end: number): boolean {
  const first = digits[start];
  if (first === 0) return false;
  if (first === 1 && end - start !== 15) return false;
  return luhnValid(digits, start, end);
}

/** Luhn over digits[start, end): every second digit from the right is doubled. */
export function luhnValid(digits: readonly number[], start = 0, end = digits.length): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    let d = digits[i]!;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}
