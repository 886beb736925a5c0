CREATE TABLE "data_key_rotations" (
	"id" text PRIMARY KEY NOT NULL,
	"to_key_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"cursor_table" text DEFAULT '' NOT NULL,
	"cursor_id" text DEFAULT '' NOT NULL,
	"passes" integer DEFAULT 0 NOT NULL,
	"reencrypted" bigint DEFAULT 0 NOT NULL,
	"total" bigint DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "vault_canary" (
	"id" text PRIMARY KEY NOT NULL,
	"sealed" text NOT NULL,
	"master_key_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "data_keys" ADD COLUMN "cell_id" text;--> statement-breakpoint
ALTER TABLE "data_keys" ADD COLUMN "state" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "data_keys" ADD COLUMN "encryptions" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "data_keys" ADD COLUMN "key_check" text;