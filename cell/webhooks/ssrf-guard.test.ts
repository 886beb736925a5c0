import { describe, expect, it } from "vitest";
import { blockedAddressReason, checkWebhookUrl } from "./ssrf-guard.ts";

const resolveTo =
  (...addresses: string[]) =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("SSRF guard", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["0.0.0.0", "this-network"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "unique local"],
    ["fd12:3456::1", "unique local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["0:0:0:0:0:ffff:c0a8:0101", "private"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:7f00:1::", "loopback"],
  ])("%s is refused (%s)", (ip, reason) => {
    expect(blockedAddressReason(ip)).toBe(reason);
  });

  it.each(["93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "public %s is allowed",
    (ip) => {
      expect(blockedAddressReason(ip)).toBeUndefined();
    },
  );

  it("live keys: private literals, localhost names and hosts resolving to any private address are refused", async () => {
    const nope = async () => {
      throw new Error("must not resolve");
    };
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "http://2130706433/hook",
      "http://0x7f.1/hook",
      "http://[::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "https://localhost/hook",
      "https://api.localhost./hook",
    ]) {
      expect((await checkWebhookUrl(url, "live", nope)).ok, url).toBe(false);
    }
    const mixed = await checkWebhookUrl(
      "https://rebind.example/hook",
      "live",
      resolveTo("8.8.8.8", "10.0.0.5"),
    );
    expect(mixed).toMatchObject({ ok: false, reason: expect.stringContaining("private") });
    const unresolvable = await checkWebhookUrl("https://nx.example/hook", "live", nope);
    expect(unresolvable.ok).toBe(false);
  });

  it("live keys: a host resolving only to public addresses is allowed", async () => {
    const ok = await checkWebhookUrl(
      "https://hooks.example/cellpay",
      "live",
      resolveTo("93.184.215.14", "2606:4700::1111"),
    );
    expect(ok.ok).toBe(true);
    expect((await checkWebhookUrl("https://93.184.215.14/hook", "live")).ok).toBe(true);
  });

  it("test keys may target anything http(s), so local receivers work; other schemes never", async () => {
    expect((await checkWebhookUrl("http://127.0.0.1:8080/hook", "test")).ok).toBe(true);
    expect((await checkWebhookUrl("http://localhost:3000/", "test")).ok).toBe(true);
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://x/",
      "not a url",
      "https://u:p@example.com/",
    ]) {
      expect((await checkWebhookUrl(url, "test")).ok, url).toBe(false);
    }
  });
});
