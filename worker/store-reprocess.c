/* store-reprocess.c - the store: stored outcomes brought up to a new parse
 *
 * The database side of `bounced reprocess`.  Part of the store module
 * (store-private.h): every statement goes through store_exec/store_copy.
 *
 * A batch, in one transaction (a savepoint of the run's one transaction in
 * a dry run, which is rolled back at the end):
 *
 *   COPY the new parses into the staging tables of ingest (store_stage)
 *   lock the batch's messages rows (FOR UPDATE, in id order)
 *   bounced_rp_msgs     each message: stored id, and its state:
 *                       unknown | duplicate | unparseable | apply
 *   bounced_rp_newmsg   the messages row ingest would write now
 *   bounced_rp_old      the stored outcomes          } keyed (message, lower
 *   bounced_rp_new      the outcomes ingest would    }  recipient, place among
 *                       write now (STORE_OUTCOME_*)  }  its namesakes)
 *   bounced_rp_pairs    old and new paired by key: + added, - removed,
 *                       ~ changed, = the same
 *   bounced_rp_diff     each changed column, old and new as JSON
 *   -- what a real run applies, and a dry run too before rolling back:
 *   lock the addresses touched (recipients rows, in address order)
 *   delete removed outcomes (and changed ones whose place moved)
 *   update changed outcomes in place
 *   insert added (and moved) outcomes, then give them their recipient
 *   update the messages rows
 *   recipients: counters by the difference, latest outcome from the rows,
 *   suppression by bounce.recompute_recipients ('bounced reprocess')
 *   record parser and classifier versions, and where the files are
 *
 * Invariants:
 *  1. A message is either wholly as it was or wholly as the new parse says
 *     (outcomes, messages row, and its addresses' counters and suppression):
 *     each batch is one transaction, and a batch the database refuses is
 *     tried again message by message.
 *  2. The rows written are those a fresh ingest of the same file would
 *     write: both stage the report with store_stage() and make the rows
 *     with STORE_MESSAGE_COLUMNS and STORE_OUTCOME_VALUES.  The delivery
 *     time the database holds wins over the file's (it was seen at
 *     delivery; the archived copy may be younger).
 *  3. A message whose new parse failed while the stored one did not keeps
 *     what it has (bad input never loses data).
 *  4. Counters change by what the changed outcomes add and take away, so
 *     that outcomes of months that retention dropped stay counted; the
 *     latest outcome and the first event time are read from the rows.
 *  5. The suppression policy is the one of the schema
 *     (bounce.recompute_recipients): nothing here decides suppression.
 *     Added outcomes are inserted without their recipient and given it by
 *     an UPDATE, because the trigger apply_policy folds what an INSERT adds
 *     as the outcomes of new messages (sql/150_policy_fold.sql, case D),
 *     which these are not; their addresses are recomputed in full instead.
 *     Operator decisions are the policy's input, never overridden.
 *  6. Locks are taken in the order of ingest (messages by id, recipients
 *     by address), so that a reprocess and a worker never deadlock.
 *  7. Running it again changes nothing.
 *  8. What retention dropped stays dropped: an outcome of a month dropped
 *     (before the oldest month partition, none of its rows waiting in the
 *     default partition) is not added back; the counters hold it already.
 */
#include "bounced-config.h"
#include "store-private.h"

#include <string.h>

struct _StoreReprocess {
  Store *store;
  gboolean dry_run;
  gboolean in_run_transaction;
  StoreReprocessStats *stats;
};

/* The compared columns of an outcome: all that ingest writes but the
 * message it belongs to. */
#define RP_OUTCOME_FIELDS                                                      \
  "ordinal, event_time, " STORE_OUTCOME_ADDRESS_COLUMNS ", " STORE_OUTCOME_FACT_COLUMNS

/* Tables of the session.  The per-batch ones are emptied at every commit
 * (and explicitly between the batches of a dry run); _seen (the contents
 * read in this run) and _touched (the addresses re-evaluated) last the
 * run. */
static const char rp_tables_sql[] =
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_msgs (\n"
  "  item int NOT NULL, sha256 text COLLATE \"C\" NOT NULL, id bigint, state text NOT NULL,\n"
  "  relocate boolean NOT NULL) ON COMMIT DELETE ROWS;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_newmsg ON COMMIT DELETE ROWS AS\n"
  "  SELECT 0::int AS item, id, " STORE_MESSAGE_COLUMNS ", delivered_at,\n"
  "         NULL::text AS delivered_source, ingested_at\n"
  "    FROM bounce.messages WITH NO DATA;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_old ON COMMIT DELETE ROWS AS\n"
  "  SELECT " STORE_OUTCOME_COLUMNS ", ''::text AS rkey, 0::bigint AS rk\n"
  "    FROM bounce.recipient_outcomes WITH NO DATA;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_new ON COMMIT DELETE ROWS AS\n"
  "  SELECT * FROM pg_temp.bounced_rp_old WITH NO DATA;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_pairs (\n"
  "  item int NOT NULL, message_id bigint NOT NULL, rkey text NOT NULL, rk bigint NOT NULL,\n"
  "  op text NOT NULL, old_ordinal int, old_event_time timestamptz, new_ordinal int,\n"
  "  moved boolean NOT NULL DEFAULT false) ON COMMIT DELETE ROWS;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_diff (\n"
  "  item int NOT NULL, message_id bigint NOT NULL, rkey text, rk bigint, pos bigint NOT NULL,\n"
  "  field text NOT NULL, old text, new text) ON COMMIT DELETE ROWS;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_addr (\n"
  "  address text PRIMARY KEY, was_suppressed boolean) ON COMMIT DELETE ROWS;\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_seen (sha256 text COLLATE \"C\" PRIMARY KEY);\n"
  "CREATE TEMP TABLE IF NOT EXISTS bounced_rp_touched (address text PRIMARY KEY);\n";

static const char rp_clear_sql[] =
  "TRUNCATE pg_temp.bounced_stage_messages, pg_temp.bounced_stage_outcomes,\n"
  "  pg_temp.bounced_rp_msgs, pg_temp.bounced_rp_newmsg, pg_temp.bounced_rp_old,\n"
  "  pg_temp.bounced_rp_new, pg_temp.bounced_rp_pairs, pg_temp.bounced_rp_diff,\n"
  "  pg_temp.bounced_rp_addr";

/* ---- comparing ------------------------------------------------------------ */

/* Messages first, in id order (as no writer of them locks otherwise). */
static const char rp_lock_messages_sql[] =
  "SELECT m.id FROM bounce.messages m\n"
  " WHERE m.sha256 IN (SELECT sha256 FROM pg_temp.bounced_stage_messages)\n"
  " ORDER BY m.id FOR UPDATE";

/* $1: the items whose source is to be recorded.  The first copy of a
 * content in the run is the one compared. */
static const char rp_sort_sql[] =
  "INSERT INTO pg_temp.bounced_rp_msgs (item, sha256, id, relocate, state)\n"
  "SELECT s.item, s.sha256, m.id, s.item = ANY ($1::int[]),\n"
  "       CASE WHEN m.id IS NULL THEN 'unknown'\n"
  "            WHEN s.item > min(s.item) OVER (PARTITION BY s.sha256)\n"
  "                 OR EXISTS (SELECT 1 FROM pg_temp.bounced_rp_seen v\n"
  "                             WHERE v.sha256 = s.sha256) THEN 'duplicate'\n"
  "            WHEN s.kind = 'error' AND m.kind <> 'error' THEN 'unparseable'\n"
  "            ELSE 'apply' END\n"
  "  FROM pg_temp.bounced_stage_messages s\n"
  "  LEFT JOIN bounce.messages m ON m.sha256 = s.sha256";

/* The messages row of the new parse.  The delivery time is the stored one
 * when there is one (invariant 2); where it came from is what the stored
 * outcomes recorded, else what the file says when it tells the same
 * time. */
static const char rp_new_messages_sql[] =
  "INSERT INTO pg_temp.bounced_rp_newmsg (item, id, " STORE_MESSAGE_COLUMNS ", delivered_at,\n"
  "    delivered_source, ingested_at)\n"
  "SELECT item, stored_id, " STORE_MESSAGE_COLUMNS ",\n"
  "       COALESCE(stored_delivered_at, delivered_at),\n"
  "       COALESCE(recorded_source,\n"
  "                CASE WHEN stored_delivered_at IS NULL\n"
  "                       OR stored_delivered_at = delivered_at THEN delivered_source END),\n"
  "       stored_ingested_at\n"
  "  FROM (SELECT s.*, m.id AS stored_id, m.delivered_at AS stored_delivered_at,\n"
  "               m.ingested_at AS stored_ingested_at,\n"
  "               (SELECT o.event_time_source FROM bounce.recipient_outcomes o\n"
  "                 WHERE o.message_id = m.id\n"
  "                   AND o.event_time_source IN ('maildir-name', 'file-mtime')\n"
  "                 LIMIT 1) AS recorded_source\n"
  "          FROM pg_temp.bounced_rp_msgs k\n"
  "          JOIN pg_temp.bounced_stage_messages s ON s.item = k.item\n"
  "          JOIN bounce.messages m ON m.id = k.id\n"
  "         WHERE k.state = 'apply') x";

/* Keys: the lower-cased recipient ('' for none: absent is never '') and
 * the place among the message's outcomes of that recipient. */
static const char rp_old_outcomes_sql[] =
  "INSERT INTO pg_temp.bounced_rp_old\n"
  "SELECT o.*, COALESCE(lower(o.recipient), ''),\n"
  "       row_number() OVER (PARTITION BY o.message_id, lower(o.recipient) ORDER BY o.ordinal)\n"
  "  FROM pg_temp.bounced_rp_msgs k\n"
  "  CROSS JOIN LATERAL (SELECT " STORE_OUTCOME_COLUMNS " FROM bounce.recipient_outcomes\n"
  "                       WHERE message_id = k.id) o\n"
  " WHERE k.state = 'apply'";

static const char rp_new_outcomes_sql[] =
  "INSERT INTO pg_temp.bounced_rp_new\n"
  "SELECT " STORE_OUTCOME_VALUES ",\n"
  "       COALESCE(lower(o.recipient), ''),\n"
  "       row_number() OVER (PARTITION BY f.id, lower(o.recipient) ORDER BY o.ordinal)\n"
  "  FROM pg_temp.bounced_rp_newmsg f\n"
  "  CROSS JOIN LATERAL (SELECT f.id, f.ingested_at) n\n"
  "  JOIN pg_temp.bounced_stage_outcomes o ON o.item = f.item";

/* An outcome the stored message lacks because retention dropped its
 * month (bounced retention keeps messages and counters, drops outcomes)
 * is not brought back (invariant 8): op 'x'.  Such a month is before the
 * oldest month partition and has no rows in the default partition (where
 * a back-filled month waits for its partition). */
#define RP_DROPPED_SQL                                                         \
  "UPDATE pg_temp.bounced_rp_pairs p SET op = 'x'\n"                          \
  "  FROM pg_temp.bounced_rp_new n\n"                                         \
  " WHERE p.op = '+' AND n.message_id = p.message_id AND n.rkey = p.rkey AND n.rk = p.rk\n" \
  "   AND n.event_time < (SELECT min(month)::timestamp AT TIME ZONE 'UTC'\n"   \
  "                         FROM bounce.outcome_months)\n"                    \
  "   AND NOT EXISTS (SELECT 1 FROM bounce.recipient_outcomes_default d\n"     \
  "        WHERE d.event_time >= date_trunc('month', n.event_time AT TIME ZONE 'UTC')\n" \
  "                              AT TIME ZONE 'UTC'\n"                        \
  "          AND d.event_time < (date_trunc('month', n.event_time AT TIME ZONE 'UTC')\n" \
  "                              + interval '1 month') AT TIME ZONE 'UTC')"

static const char rp_pair_sql[] =
  "INSERT INTO pg_temp.bounced_rp_pairs (item, message_id, rkey, rk, op, old_ordinal,\n"
  "    old_event_time, new_ordinal)\n"
  "SELECT k.item, k.id, COALESCE(o.rkey, n.rkey), COALESCE(o.rk, n.rk),\n"
  "       CASE WHEN o.message_id IS NULL THEN '+' WHEN n.message_id IS NULL THEN '-'\n"
  "            ELSE '=' END,\n"
  "       o.ordinal, o.event_time, n.ordinal\n"
  "  FROM pg_temp.bounced_rp_old o\n"
  "  FULL JOIN pg_temp.bounced_rp_new n\n"
  "    ON n.message_id = o.message_id AND n.rkey = o.rkey AND n.rk = o.rk\n"
  "  JOIN pg_temp.bounced_rp_msgs k\n"
  "    ON k.id = COALESCE(o.message_id, n.message_id) AND k.state = 'apply';\n"
  RP_DROPPED_SQL;

/* Columns compared as JSON in a session at UTC (times print alike when
 * they are the same instant), in the order of the table. */
static const char rp_compare_sql[] =
  "SET LOCAL TimeZone = 'UTC';\n"
  "INSERT INTO pg_temp.bounced_rp_diff (item, message_id, rkey, rk, pos, field, old, new)\n"
  "SELECT d.item, d.message_id, d.rkey, d.rk, e.pos, e.key, e.value::text, x.value::text\n"
  "  FROM (SELECT p.item, p.message_id, p.rkey, p.rk, row_to_json(o) AS oj,\n"
  "               row_to_json(n) AS nj\n"
  "          FROM pg_temp.bounced_rp_pairs p\n"
  "          JOIN pg_temp.bounced_rp_old o\n"
  "            ON o.message_id = p.message_id AND o.rkey = p.rkey AND o.rk = p.rk\n"
  "          JOIN pg_temp.bounced_rp_new n\n"
  "            ON n.message_id = p.message_id AND n.rkey = p.rkey AND n.rk = p.rk\n"
  "         WHERE p.op = '=' AND ROW(o.*) IS DISTINCT FROM ROW(n.*)\n"
  "        OFFSET 0) d\n"
  "  CROSS JOIN LATERAL json_each(d.oj) WITH ORDINALITY e(key, value, pos)\n"
  "  JOIN LATERAL json_each(d.nj) x(key, value) ON x.key = e.key\n"
  " WHERE e.key = ANY (string_to_array('" RP_OUTCOME_FIELDS "', ', '))\n"
  "   AND e.value::jsonb IS DISTINCT FROM x.value::jsonb;\n"
  "UPDATE pg_temp.bounced_rp_pairs p SET op = '~', moved = p.old_ordinal <> p.new_ordinal\n"
  " WHERE EXISTS (SELECT 1 FROM pg_temp.bounced_rp_diff d\n"
  "                WHERE d.message_id = p.message_id AND d.rkey = p.rkey AND d.rk = p.rk);\n"
  "INSERT INTO pg_temp.bounced_rp_diff (item, message_id, rkey, rk, pos, field, old, new)\n"
  "SELECT d.item, d.id, NULL, NULL, e.pos, e.key, e.value::text, x.value::text\n"
  "  FROM (SELECT f.item, f.id, row_to_json(m) AS mj, row_to_json(n) AS nj\n"
  "          FROM pg_temp.bounced_rp_newmsg f\n"
  "          CROSS JOIN LATERAL (SELECT " STORE_MESSAGE_COLUMNS ", delivered_at\n"
  "                                FROM bounce.messages WHERE id = f.id) m\n"
  "          CROSS JOIN LATERAL (SELECT " STORE_MESSAGE_COLUMNS ", delivered_at\n"
  "                                FROM pg_temp.bounced_rp_newmsg WHERE item = f.item) n\n"
  "         WHERE ROW(m.*) IS DISTINCT FROM ROW(n.*)\n"
  "        OFFSET 0) d\n"
  "  CROSS JOIN LATERAL json_each(d.mj) WITH ORDINALITY e(key, value, pos)\n"
  "  JOIN LATERAL json_each(d.nj) x(key, value) ON x.key = e.key\n"
  " WHERE e.value::jsonb IS DISTINCT FROM x.value::jsonb";

/* What was found: one row of counts. */
static const char rp_count_sql[] =
  "SELECT (SELECT count(*) FROM pg_temp.bounced_rp_pairs WHERE op = '+'),\n"
  "       (SELECT count(*) FROM pg_temp.bounced_rp_pairs WHERE op = '-'),\n"
  "       (SELECT count(*) FROM pg_temp.bounced_rp_pairs WHERE op = '~'),\n"
  "       (SELECT count(*) FROM pg_temp.bounced_rp_pairs WHERE op = '='),\n"
  "       (SELECT count(*) FROM (SELECT item FROM pg_temp.bounced_rp_pairs\n"
  "                               WHERE op IN ('+', '-', '~')\n"
  "                              UNION SELECT item FROM pg_temp.bounced_rp_diff) c),\n"
  "       (SELECT count(*) FROM pg_temp.bounced_rp_pairs WHERE op = 'x')";

/* Each message's state, and the new parse's error for the unparseable. */
static const char rp_states_sql[] =
  "SELECT k.item, k.state, s.error FROM pg_temp.bounced_rp_msgs k\n"
  "  JOIN pg_temp.bounced_stage_messages s ON s.item = k.item ORDER BY k.item";

/* The difference in print order: per message, its own columns, then its
 * outcomes by their place (the new one, else the old one). */
static const char rp_lines_sql[] =
  "SELECT d.item, 'm', NULL, d.field, d.old, d.new, -1, d.pos, 0\n"
  "  FROM pg_temp.bounced_rp_diff d WHERE d.rkey IS NULL\n"
  "UNION ALL\n"
  "SELECT d.item, '~', n.recipient, d.field, d.old, d.new, p.new_ordinal, d.pos, 2\n"
  "  FROM pg_temp.bounced_rp_diff d\n"
  "  JOIN pg_temp.bounced_rp_pairs p\n"
  "    ON p.message_id = d.message_id AND p.rkey = d.rkey AND p.rk = d.rk\n"
  "  JOIN pg_temp.bounced_rp_new n\n"
  "    ON n.message_id = d.message_id AND n.rkey = d.rkey AND n.rk = d.rk\n"
  "UNION ALL\n"
  "SELECT p.item, p.op, r.recipient, NULL,\n"
  "       CASE WHEN p.op = '-' THEN r.summary END, CASE WHEN p.op = '+' THEN r.summary END,\n"
  "       COALESCE(p.new_ordinal, p.old_ordinal), 0, CASE p.op WHEN '-' THEN 1 ELSE 3 END\n"
  "  FROM pg_temp.bounced_rp_pairs p\n"
  "  CROSS JOIN LATERAL (\n"
  "    SELECT x.recipient,\n"
  "           concat_ws(' ', x.action, x.status, x.reason)\n"
  "             || CASE WHEN x.hard_bounce THEN ' (hard)' ELSE '' END AS summary\n"
  "      FROM (SELECT * FROM pg_temp.bounced_rp_new n WHERE p.op = '+'\n"
  "               AND n.message_id = p.message_id AND n.rkey = p.rkey AND n.rk = p.rk\n"
  "            UNION ALL\n"
  "            SELECT * FROM pg_temp.bounced_rp_old o WHERE p.op = '-'\n"
  "               AND o.message_id = p.message_id AND o.rkey = p.rkey AND o.rk = p.rk) x) r\n"
  " WHERE p.op IN ('+', '-')\n"
  " ORDER BY 1, 7, 9, 8";

static const char rp_transitions_sql[] =
  "SELECT o.reason || CASE WHEN o.hard_bounce THEN ' (hard)' ELSE '' END\n"
  "         || ' -> ' || n.reason || CASE WHEN n.hard_bounce THEN ' (hard)' ELSE '' END,\n"
  "       count(*)\n"
  "  FROM pg_temp.bounced_rp_pairs p\n"
  "  JOIN pg_temp.bounced_rp_old o\n"
  "    ON o.message_id = p.message_id AND o.rkey = p.rkey AND o.rk = p.rk\n"
  "  JOIN pg_temp.bounced_rp_new n\n"
  "    ON n.message_id = p.message_id AND n.rkey = p.rkey AND n.rk = p.rk\n"
  " WHERE p.op = '~' AND (o.reason, o.hard_bounce) IS DISTINCT FROM (n.reason, n.hard_bounce)\n"
  " GROUP BY 1";

/* ---- applying --------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *sql;
} RpStatement;

/* In this order (see the top of the file). */
static const RpStatement rp_apply[] = {
  { "analyze the difference",
    "ANALYZE pg_temp.bounced_rp_old, pg_temp.bounced_rp_new, pg_temp.bounced_rp_pairs" },
  { "note reprocessed addresses",
    "INSERT INTO pg_temp.bounced_rp_addr (address)\n"
    "SELECT DISTINCT rkey FROM pg_temp.bounced_rp_pairs\n"
    " WHERE op IN ('+', '-', '~') AND rkey <> '';\n"
    "ANALYZE pg_temp.bounced_rp_addr" },
  { "lock reprocessed addresses",
    "SELECT r.address FROM bounce.recipients r\n"
    " WHERE r.address IN (SELECT address COLLATE \"C\" FROM pg_temp.bounced_rp_addr)\n"
    " ORDER BY r.address FOR UPDATE" },
  { "note suppression before",
    "UPDATE pg_temp.bounced_rp_addr a SET was_suppressed = r.suppressed\n"
    "  FROM bounce.recipients r WHERE r.address = a.address COLLATE \"C\"" },
  /* (through a function of the schema's owner: the worker's role deletes
   * nothing itself, sql/145_reprocess_removals.sql) */
  { "remove outcomes",
    "SELECT bounce.remove_outcomes(array_agg(p.message_id), array_agg(p.old_ordinal),\n"
    "                              array_agg(p.old_event_time))\n"
    "  FROM pg_temp.bounced_rp_pairs p\n"
    " WHERE p.op = '-' OR (p.op = '~' AND p.moved)" },
  { "update outcomes",
    "UPDATE bounce.recipient_outcomes o\n"
    "   SET (event_time, " STORE_OUTCOME_ADDRESS_COLUMNS ", " STORE_OUTCOME_FACT_COLUMNS ") =\n"
    "       (SELECT event_time, " STORE_OUTCOME_ADDRESS_COLUMNS ", " STORE_OUTCOME_FACT_COLUMNS "\n"
    "          FROM pg_temp.bounced_rp_new n\n"
    "         WHERE n.message_id = p.message_id AND n.rkey = p.rkey AND n.rk = p.rk)\n"
    "  FROM pg_temp.bounced_rp_pairs p\n"
    " WHERE p.op = '~' AND NOT p.moved\n"
    "   AND o.message_id = p.message_id AND o.ordinal = p.old_ordinal\n"
    "   AND o.event_time = p.old_event_time" },
  /* (invariant 5: no recipient at INSERT, so that the trigger skips them) */
  { "add outcomes",
    "INSERT INTO bounce.recipient_outcomes (" STORE_OUTCOME_COLUMNS ")\n"
    "SELECT " STORE_OUTCOME_KEY_COLUMNS ", NULL, NULL, " STORE_OUTCOME_FACT_COLUMNS "\n"
    "  FROM pg_temp.bounced_rp_new n\n"
    " WHERE EXISTS (SELECT 1 FROM pg_temp.bounced_rp_pairs p\n"
    "                WHERE p.message_id = n.message_id AND p.rkey = n.rkey AND p.rk = n.rk\n"
    "                  AND (p.op = '+' OR (p.op = '~' AND p.moved)))\n"
    " ORDER BY message_id, ordinal" },
  { "name added outcomes",
    "UPDATE bounce.recipient_outcomes o\n"
    "   SET recipient = n.recipient, recipient_domain = n.recipient_domain\n"
    "  FROM pg_temp.bounced_rp_new n\n"
    "  JOIN pg_temp.bounced_rp_pairs p\n"
    "    ON p.message_id = n.message_id AND p.rkey = n.rkey AND p.rk = n.rk\n"
    " WHERE (p.op = '+' OR (p.op = '~' AND p.moved)) AND n.recipient IS NOT NULL\n"
    "   AND o.message_id = n.message_id AND o.ordinal = n.ordinal\n"
    "   AND o.event_time = n.event_time" },
  { "update messages",
    "UPDATE bounce.messages m\n"
    "   SET (" STORE_MESSAGE_COLUMNS ", delivered_at) =\n"
    "       (SELECT " STORE_MESSAGE_COLUMNS ", delivered_at\n"
    "          FROM pg_temp.bounced_rp_newmsg f WHERE f.id = m.id)\n"
    " WHERE m.id IN (SELECT message_id FROM pg_temp.bounced_rp_diff WHERE rkey IS NULL)" },
  /* Counters by the difference (invariant 4), as ingest counts them
   * (store.c: soft bounces are the mailbox, infrastructure and unknown
   * groups); a new address gets its latest outcome in the next statement. */
  { "count reprocessed addresses",
    "WITH c AS (\n"
    "  SELECT 1 AS sign, n.rkey, n.recipient_domain, n.reason, n.hard_bounce\n"
    "    FROM pg_temp.bounced_rp_new n JOIN pg_temp.bounced_rp_pairs p\n"
    "      ON p.message_id = n.message_id AND p.rkey = n.rkey AND p.rk = n.rk\n"
    "   WHERE p.op IN ('+', '~')\n"
    "  UNION ALL\n"
    "  SELECT -1, o.rkey, o.recipient_domain, o.reason, o.hard_bounce\n"
    "    FROM pg_temp.bounced_rp_old o JOIN pg_temp.bounced_rp_pairs p\n"
    "      ON p.message_id = o.message_id AND p.rkey = o.rkey AND p.rk = o.rk\n"
    "   WHERE p.op IN ('-', '~')\n"
    "), d AS (\n"
    "  SELECT c.rkey COLLATE \"C\" AS address, min(c.recipient_domain) AS domain,\n"
    "         sum(c.sign) AS outcomes,\n"
    "         COALESCE(sum(c.sign) FILTER (WHERE c.hard_bounce), 0) AS hard_bounces,\n"
    "         COALESCE(sum(c.sign) FILTER (WHERE NOT c.hard_bounce\n"
    "                  AND g.grp IN " STORE_SOFT_GROUPS "), 0) AS soft_bounces,\n"
    "         COALESCE(sum(c.sign) FILTER (WHERE c.reason = 'feedback'), 0) AS complaints,\n"
    "         COALESCE(sum(c.sign) FILTER (WHERE c.reason = 'delivered'), 0) AS delivered\n"
    "    FROM c LEFT JOIN bounce.reasons g ON g.reason = c.reason\n"
    "   WHERE c.rkey <> ''\n"
    "   GROUP BY 1\n"
    ")\n"
    "INSERT INTO bounce.recipients AS r (address, domain, outcomes, hard_bounces, soft_bounces,\n"
    "    complaints, delivered, first_event_time, last_event_time, last_message_id,\n"
    "    last_reason, last_hard_bounce)\n"
    "SELECT address, domain, outcomes, hard_bounces, soft_bounces, complaints, delivered,\n"
    "       now(), now(), 0, 'undefined', false\n"
    "  FROM d ORDER BY address\n"
    "ON CONFLICT (address) DO UPDATE SET\n"
    STORE_RECIPIENT_ADD_COUNTS
    "  updated_at = now()" },
  /* From the rows (one index scan per address).  An address counting more
   * outcomes than it has rows lost months to retention: its first event
   * and last delivery may lie there, and are kept when they do.  One left
   * with none gets what bounce.operator_set gives an address never seen. */
  { "read latest outcomes",
    "UPDATE bounce.recipients r SET\n"
    "    first_event_time = CASE WHEN l.n = 0 THEN r.first_event_time\n"
    "                            WHEN r.outcomes > l.n THEN LEAST(r.first_event_time, l.first)\n"
    "                            ELSE l.first END,\n"
    "    last_event_time = COALESCE(l.last_time, r.last_event_time),\n"
    "    last_message_id = CASE WHEN l.n > 0 THEN l.last_message_id\n"
    "                           WHEN r.outcomes > 0 THEN r.last_message_id ELSE 0 END,\n"
    "    last_reason = CASE WHEN l.n > 0 THEN l.last_reason\n"
    "                       WHEN r.outcomes > 0 THEN r.last_reason ELSE 'undefined' END,\n"
    "    last_status = CASE WHEN l.n > 0 THEN l.last_status\n"
    "                       WHEN r.outcomes > 0 THEN r.last_status END,\n"
    "    last_hard_bounce = CASE WHEN l.n > 0 THEN l.last_hard_bounce\n"
    "                            WHEN r.outcomes > 0 THEN r.last_hard_bounce ELSE false END,\n"
    "    last_delivered_at = COALESCE(l.last_delivered,\n"
    "        CASE WHEN r.outcomes > l.n\n"
    "              AND r.last_delivered_at < COALESCE(l.first, 'infinity')\n"
    "             THEN r.last_delivered_at END),\n"
    "    updated_at = now()\n"
    "  FROM pg_temp.bounced_rp_addr a\n"
    "  CROSS JOIN LATERAL (\n"
    "    SELECT count(*) AS n, min(o.event_time) AS first, max(o.event_time) AS last_time,\n"
    "           (array_agg(o.message_id ORDER BY o.event_time DESC, o.message_id DESC,\n"
    "                      o.ordinal DESC))[1] AS last_message_id,\n"
    "           (array_agg(o.reason ORDER BY o.event_time DESC, o.message_id DESC,\n"
    "                      o.ordinal DESC))[1] AS last_reason,\n"
    "           (array_agg(o.status ORDER BY o.event_time DESC, o.message_id DESC,\n"
    "                      o.ordinal DESC))[1] AS last_status,\n"
    "           (array_agg(o.hard_bounce ORDER BY o.event_time DESC, o.message_id DESC,\n"
    "                      o.ordinal DESC))[1] AS last_hard_bounce,\n"
    "           max(o.event_time) FILTER (WHERE o.reason = 'delivered') AS last_delivered\n"
    "      FROM bounce.recipient_outcomes o WHERE lower(o.recipient) = a.address) l\n"
    " WHERE r.address = a.address COLLATE \"C\"" },
  /* The policy of the schema, in full for each address (invariant 5). */
  { "recompute suppression",
    "SELECT bounce.recompute_recipients(array(SELECT address FROM pg_temp.bounced_rp_addr\n"
    "                                          ORDER BY address), 'bounced reprocess', false)" },
  /* An address no outcome names any more is forgotten, as a fresh ingest
   * would never have known it, unless an operator decided about it or it
   * was ever suppressed (a mailer reading bounce.suppression_changes must
   * see it lifted). */
  { "forget addresses",
    "SELECT bounce.forget_recipients(array(SELECT address FROM pg_temp.bounced_rp_addr))" },
};

/* Suppressions made and lifted, and the addresses new to this run. */
static const char rp_address_counts_sql[] =
  "WITH t AS (INSERT INTO pg_temp.bounced_rp_touched\n"
  "           SELECT address FROM pg_temp.bounced_rp_addr ON CONFLICT DO NOTHING RETURNING 1)\n"
  "SELECT (SELECT count(*) FROM t),\n"
  "       count(*) FILTER (WHERE NOT COALESCE(a.was_suppressed, false)\n"
  "                        AND COALESCE(r.suppressed, false)),\n"
  "       count(*) FILTER (WHERE COALESCE(a.was_suppressed, false)\n"
  "                        AND NOT COALESCE(r.suppressed, false))\n"
  "  FROM pg_temp.bounced_rp_addr a\n"
  "  LEFT JOIN bounce.recipients r ON r.address = a.address COLLATE \"C\"";

/* $1 parser version, $2 classifier version: the versions that vouch for
 * the rows now; the place of the file for those to relocate. */
static const char rp_versions_sql[] =
  "UPDATE bounce.messages m\n"
  "   SET parser_version = CASE WHEN k.state = 'apply' THEN $1 ELSE m.parser_version END,\n"
  "       classifier_version = CASE WHEN k.state = 'apply' THEN $2\n"
  "                                 ELSE m.classifier_version END,\n"
  "       source = CASE WHEN k.relocate THEN s.source ELSE m.source END\n"
  "  FROM pg_temp.bounced_rp_msgs k\n"
  "  JOIN pg_temp.bounced_stage_messages s ON s.item = k.item\n"
  " WHERE m.id = k.id AND k.state IN ('apply', 'unparseable')\n"
  "   AND (m.parser_version, m.classifier_version, m.source) IS DISTINCT FROM\n"
  "       (CASE WHEN k.state = 'apply' THEN $1 ELSE m.parser_version END,\n"
  "        CASE WHEN k.state = 'apply' THEN $2 ELSE m.classifier_version END,\n"
  "        CASE WHEN k.relocate THEN s.source ELSE m.source END)";

/* The contents read, so that a copy read later in the run (another batch)
 * is a duplicate in a dry run as in a real one. */
static const char rp_seen_sql[] =
  "INSERT INTO pg_temp.bounced_rp_seen\n"
  "SELECT sha256 FROM pg_temp.bounced_rp_msgs WHERE state <> 'unknown'\n"
  "ON CONFLICT DO NOTHING";

/* ---- a batch ------------------------------------------------------------- */

/* A line of the difference kept until the batch is over. */
typedef struct {
  guint item;
  StoreDiffLine line;
} RpLine;

static void
rp_line_free (gpointer p)
{
  RpLine *l = p;

  g_free ((char *) l->line.recipient);
  g_free ((char *) l->line.field);
  g_free ((char *) l->line.old_value);
  g_free ((char *) l->line.new_value);
  g_free (l);
}

void
store_reprocess_stats_init (StoreReprocessStats *stats)
{
  memset (stats, 0, sizeof *stats);
  stats->transitions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
store_reprocess_stats_clear (StoreReprocessStats *stats)
{
  g_clear_pointer (&stats->transitions, g_hash_table_unref);
}

static char *
dup_text (const PGresult *res, int row, int col)
{
  return g_strdup (store_get_text (res, row, col));
}

static gboolean
rp_begin (StoreReprocess *rp, GError **error_out)
{
  if (rp->dry_run)
    return store_command (rp->store, "begin reprocess batch", "SAVEPOINT bounced_rp_batch",
                          error_out)
           && store_command (rp->store, "empty reprocess tables", rp_clear_sql, error_out);
  return store_command (rp->store, "begin reprocess batch", "BEGIN", error_out);
}

static gboolean
rp_commit (StoreReprocess *rp, GError **error_out)
{
  if (rp->dry_run)
    return store_command (rp->store, "end reprocess batch", "RELEASE SAVEPOINT bounced_rp_batch",
                          error_out);
  return store_command (rp->store, "commit reprocess batch", "COMMIT", error_out);
}

/* Undoes the batch: its savepoint in a dry run (whose transaction must go
 * on), else its transaction. */
static void
rp_abort (StoreReprocess *rp)
{
  if (rp->dry_run)
    {
      g_autoptr(GError) error = NULL;

      if (!store_command (rp->store, "undo reprocess batch", "ROLLBACK TO SAVEPOINT bounced_rp_batch",
                          &error))
        rp->in_run_transaction = FALSE;
      return;
    }
  store_rollback (rp->store);
}


/* Runs @sql, a statement of rp_apply or one like it: a SELECT for its
 * rows, anything else for its status. */
static gboolean
rp_run (Store *store, const char *name, const char *sql, GError **error_out)
{
  ExecStatusType expected = g_str_has_prefix (sql, "SELECT ") ? PGRES_TUPLES_OK
                                                             : PGRES_COMMAND_OK;
  g_autoptr(PGresult) res = store_exec (store, name, expected, sql, 0, NULL, error_out);

  return res != NULL;
}

/* One attempt at @n items in one transaction (a savepoint in a dry run).
 * What it found is added to @stats, and its lines to @lines_out, only when
 * it returns TRUE. */
static gboolean
rp_try (StoreReprocess *rp, const StoreReprocessItem *items, guint n, GPtrArray *lines_out,
        GError **error_out)
{
  Store *store = rp->store;
  StoreReprocessStats *stats = rp->stats;
  g_autoptr(GString) messages = g_string_new (NULL);
  g_autoptr(GString) outcomes = g_string_new (NULL);
  g_autoptr(GString) relocate = g_string_new ("{");
  g_autoptr(PGresult) counts = NULL;
  g_autoptr(PGresult) states = NULL;
  g_autoptr(PGresult) lines = NULL;
  g_autoptr(PGresult) transitions = NULL;
  g_autoptr(PGresult) addresses = NULL;
  const char *sort_params[1];
  const char *version_params[2] = { BOUNCED_VERSION, bounce_classifier_version () };
  guint64 applied = 0;

  for (guint i = 0; i < n; i++)
    {
      store_stage (messages, outcomes, i, &items[i].item);
      if (items[i].relocate)
        g_string_append_printf (relocate, "%s%u", relocate->len > 1 ? "," : "", i);
    }
  g_string_append_c (relocate, '}');
  sort_params[0] = relocate->str;

  if (!rp_begin (rp, error_out))
    return FALSE;
  if (!store_copy_staged (store, messages, outcomes, error_out)
      || !rp_run (store, "lock reprocessed messages", rp_lock_messages_sql, error_out))
    goto fail;
  {
    g_autoptr(PGresult) res = store_exec (store, "sort reprocessed messages", PGRES_COMMAND_OK,
                                          rp_sort_sql, 1, sort_params, error_out);
    if (res == NULL)
      goto fail;
  }
  if (!rp_run (store, "analyze reprocessed messages", "ANALYZE pg_temp.bounced_rp_msgs",
               error_out)
      || !rp_run (store, "read new messages", rp_new_messages_sql, error_out)
      || !rp_run (store, "read stored outcomes", rp_old_outcomes_sql, error_out)
      || !rp_run (store, "read new outcomes", rp_new_outcomes_sql, error_out)
      || !rp_run (store, "pair outcomes", rp_pair_sql, error_out)
      || !rp_run (store, "compare outcomes", rp_compare_sql, error_out))
    goto fail;
  counts = store_exec (store, "count differences", PGRES_TUPLES_OK, rp_count_sql, 0, NULL,
                       error_out);
  if (counts == NULL)
    goto fail;
  states = store_exec (store, "read message states", PGRES_TUPLES_OK, rp_states_sql, 0, NULL,
                       error_out);
  if (states == NULL)
    goto fail;
  lines = store_exec (store, "read differences", PGRES_TUPLES_OK, rp_lines_sql, 0, NULL,
                      error_out);
  if (lines == NULL)
    goto fail;
  transitions = store_exec (store, "read reason changes", PGRES_TUPLES_OK, rp_transitions_sql,
                            0, NULL, error_out);
  if (transitions == NULL)
    goto fail;

  if (store_get_int (counts, 0, 4) > 0)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (rp_apply); i++)
        if (!rp_run (store, rp_apply[i].name, rp_apply[i].sql, error_out))
          goto fail;
      addresses = store_exec (store, "count suppression changes", PGRES_TUPLES_OK,
                              rp_address_counts_sql, 0, NULL, error_out);
      if (addresses == NULL)
        goto fail;
    }
  {
    g_autoptr(PGresult) res = store_exec (store, "record versions and places", PGRES_COMMAND_OK,
                                          rp_versions_sql, 2, version_params, error_out);
    if (res == NULL || !rp_run (store, "remember reprocessed messages", rp_seen_sql, error_out))
      goto fail;
  }
  if (!rp_commit (rp, error_out))
    goto fail;

  /* Over: what it found counts. */
  for (int row = 0; row < PQntuples (states); row++)
    {
      const char *state = PQgetvalue (states, row, 1);

      stats->read++;
      if (strcmp (state, "unknown") == 0)
        {
          stats->unknown++;
          continue;
        }
      stats->known++;
      if (strcmp (state, "apply") == 0)
        applied++;
      else if (strcmp (state, "duplicate") == 0)
        stats->duplicates++;
      else
        {
          g_autofree char *why = g_strdup_printf ("its new parse failed (%s): what is stored "
                                                  "is kept", PQgetvalue (states, row, 2));
          gint64 item = store_get_int (states, row, 0);

          stats->unparseable++;
          if (stats->problem_func != NULL && item >= 0 && item < (gint64) n)
            stats->problem_func (&items[item], why, stats->user_data);
        }
    }
  stats->added += (guint64) store_get_int (counts, 0, 0);
  stats->removed += (guint64) store_get_int (counts, 0, 1);
  stats->outcomes_changed += (guint64) store_get_int (counts, 0, 2);
  stats->outcomes_unchanged += (guint64) store_get_int (counts, 0, 3);
  stats->changed += (guint64) store_get_int (counts, 0, 4);
  stats->dropped += (guint64) store_get_int (counts, 0, 5);
  stats->unchanged += applied - (guint64) store_get_int (counts, 0, 4);
  if (addresses != NULL)
    {
      stats->addresses += (guint64) store_get_int (addresses, 0, 0);
      stats->suppressed += (guint64) store_get_int (addresses, 0, 1);
      stats->lifted += (guint64) store_get_int (addresses, 0, 2);
    }
  for (int row = 0; row < PQntuples (transitions); row++)
    {
      const char *key = PQgetvalue (transitions, row, 0);
      guint64 count = GPOINTER_TO_SIZE (g_hash_table_lookup (stats->transitions, key));

      g_hash_table_replace (stats->transitions, g_strdup (key),
                            GSIZE_TO_POINTER (count + (guint64) store_get_int (transitions, row, 1)));
    }
  for (int row = 0; row < PQntuples (lines); row++)
    {
      RpLine *l = g_new0 (RpLine, 1);
      char op = PQgetvalue (lines, row, 1)[0];

      l->item = (guint) store_get_int (lines, row, 0);
      l->line.kind = op == 'm' ? STORE_DIFF_MESSAGE : op == '+' ? STORE_DIFF_ADDED
                     : op == '-' ? STORE_DIFF_REMOVED : STORE_DIFF_CHANGED;
      l->line.recipient = dup_text (lines, row, 2);
      l->line.field = dup_text (lines, row, 3);
      l->line.old_value = dup_text (lines, row, 4);
      l->line.new_value = dup_text (lines, row, 5);
      g_ptr_array_add (lines_out, l);
    }
  return TRUE;

fail:
  rp_abort (rp);
  return FALSE;
}

/* A failure a message can cause (the database refused a statement), as
 * opposed to one that ends the run (the connection, the run's
 * transaction). */
static gboolean
rp_message_failure (const StoreReprocess *rp, const GError *error)
{
  return g_error_matches (error, STORE_ERROR, STORE_ERROR_FAILED)
         && (!rp->dry_run || rp->in_run_transaction);
}

static void
rp_emit (StoreReprocess *rp, const StoreReprocessItem *items, GPtrArray *lines)
{
  if (rp->stats->diff_func == NULL)
    return;
  for (guint i = 0; i < lines->len; i++)
    {
      const RpLine *l = g_ptr_array_index (lines, i);

      rp->stats->diff_func (&items[l->item], &l->line, rp->stats->user_data);
    }
}

gboolean
store_reprocess_batch (StoreReprocess *rp, const StoreReprocessItem *items, guint n,
                       GError **error_out)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (rp_line_free);
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (rp != NULL && (items != NULL || n == 0), FALSE);
  if (n == 0)
    return TRUE;
  if (rp_try (rp, items, n, lines, &error))
    {
      rp_emit (rp, items, lines);
      return TRUE;
    }
  /* Refused: each message on its own, so that only the bad one stays as
   * it was (invariant 1). */
  if (!rp_message_failure (rp, error))
    {
      g_propagate_error (error_out, g_steal_pointer (&error));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *why = NULL;

      g_clear_error (&error);
      g_ptr_array_set_size (lines, 0);
      if (rp_try (rp, &items[i], 1, lines, &error))
        {
          rp_emit (rp, &items[i], lines);
          continue;
        }
      if (!rp_message_failure (rp, error))
        {
          g_propagate_error (error_out, g_steal_pointer (&error));
          return FALSE;
        }
      rp->stats->read++;
      rp->stats->known++;
      rp->stats->refused++;
      why = g_strdup_printf ("the database refused its change (%s): it is left as it was",
                             error->message);
      if (rp->stats->problem_func != NULL)
        rp->stats->problem_func (&items[i], why, rp->stats->user_data);
    }
  return TRUE;
}

StoreReprocess *
store_reprocess_begin (Store *store, gboolean dry_run, StoreReprocessStats *stats,
                       GError **error_out)
{
  g_autofree StoreReprocess *rp = NULL;

  g_return_val_if_fail (store != NULL && stats != NULL, NULL);
  if (!store_stage_tables (store, error_out)
      || !store_command (store, "create reprocess tables", rp_tables_sql, error_out)
      || !store_command (store, "forget the last reprocess run",
                         "TRUNCATE pg_temp.bounced_rp_seen, pg_temp.bounced_rp_touched",
                         error_out))
    return NULL;
  if (dry_run && !store_command (store, "begin dry run", "BEGIN", error_out))
    return NULL;
  rp = g_new0 (StoreReprocess, 1);
  rp->store = store;
  rp->dry_run = dry_run;
  rp->in_run_transaction = dry_run;
  rp->stats = stats;
  return g_steal_pointer (&rp);
}

gboolean
store_reprocess_end (StoreReprocess *rp, GError **error_out)
{
  gboolean ok = TRUE;

  if (rp == NULL)
    return TRUE;
  if (rp->dry_run)
    ok = store_command (rp->store, "roll back dry run", "ROLLBACK", error_out);
  g_free (rp);
  return ok;
}
