/* ---- analytics: policy, send counts, reprocessing, reports ------------
 *
 * The database side of bounced recompute, suppress, unsuppress, sends
 * import, reprocess and report.  The policy itself is SQL
 * (sql/100_policy.sql: bounce.recompute_recipient); these functions call it.
 */

/**
 * StorePolicy:
 * @soft_count: soft outcomes from distinct messages that suppress.
 * @soft_days: the span those outcomes must exceed, in days.
 */
typedef struct {
  guint soft_count;
  guint soft_days;
} StorePolicy;

/**
 * store_policy_set:
 * Stores @policy as the one in force.  @version_out receives the policy
 * version afterwards, @changed_out whether it differs from the stored one
 * (then the version grew by one).  Returns: FALSE with @error_out set on
 * failure.
 */
gboolean store_policy_set (Store *store, const StorePolicy *policy, int *version_out,
                           gboolean *changed_out, GError **error_out);

/* Called every so often by long operations with how far they are. */
typedef void (*StoreProgressFunc) (guint64 done, guint64 total, gpointer user_data);

/**
 * store_recompute:
 * Recomputes every address (counters and suppression) with the policy in
 * force, STORE_RECOMPUTE_CHUNK addresses per transaction, logging changes
 * with @command.  @progress (nullable) is called after each chunk.
 * Returns: how many addresses changed suppression state, or -1 with
 *   @error_out set.
 */
#define STORE_RECOMPUTE_CHUNK 1000
gint64 store_recompute (Store *store, const char *command, StoreProgressFunc progress,
                        gpointer user_data, GError **error_out);

/**
 * store_operator_set:
 * @action: "suppress" or "unsuppress".
 * @note: (nullable): why (--reason).
 * Records an operator decision for @address (created if never seen).
 * Returns: 1 when the suppression state changed, 0 when it did not, -1
 *   with @error_out set.
 */
int store_operator_set (Store *store, const char *address, const char *action,
                        const char *note, GError **error_out);

/**
 * store_sends_import:
 * @rows: SendsCsvRow* (see sends-csv.h).
 * Writes @rows into bounce.send_counts in one transaction; a row whose day,
 * campaign and domain already exist replaces the stored count.
 * @inserted_out, @replaced_out: how many rows were new / replaced.
 */
gboolean store_sends_import (Store *store, GPtrArray *rows, guint64 *inserted_out,
                             guint64 *replaced_out, GError **error_out);

/* ---- reprocessing (store-reprocess.c) ---------------------------------- */

/**
 * StoreReprocessItem:
 * One archived message read again.
 * @item: the message as ingest would stage it (borrowed): @item.source is
 *   where it is now (PATH, or PATH#N in an mbox), @item.delivered_at what
 *   its file says of its delivery (kept only where the database knows
 *   none).
 * @relocate: record @item.source as where the message is (FALSE for the
 *   messages of an mbox, which keep the source ingest gave them).
 */
typedef struct {
  StoreItem item;
  gboolean relocate;
} StoreReprocessItem;

/**
 * StoreDiffKind:
 * @STORE_DIFF_MESSAGE: a column of the messages row changes.
 * @STORE_DIFF_ADDED: an outcome the stored message lacks.
 * @STORE_DIFF_REMOVED: a stored outcome the new parse does not give.
 * @STORE_DIFF_CHANGED: a column of an outcome changes.
 */
typedef enum {
  STORE_DIFF_MESSAGE,
  STORE_DIFF_ADDED,
  STORE_DIFF_REMOVED,
  STORE_DIFF_CHANGED,
} StoreDiffKind;

/**
 * StoreDiffLine:
 * One line of what reprocessing changes (strings borrowed, valid during the
 * callback only).
 * @recipient: (nullable): the outcome's recipient as reported (the new one
 *   for ADDED and CHANGED).
 * @field: (nullable): the column, for MESSAGE and CHANGED.
 * @old_value, @new_value: (nullable): for MESSAGE and CHANGED the values as
 *   JSON (null, "text", true, times in UTC); for REMOVED (@old_value) and
 *   ADDED (@new_value) the outcome in short ("failed 5.1.1 userunknown
 *   (hard)").
 */
typedef struct {
  StoreDiffKind kind;
  const char *recipient;
  const char *field;
  const char *old_value;
  const char *new_value;
} StoreDiffLine;

/* Called for every line of the difference, message by message in the
 * order of the batch, once the batch's transaction is over. */
typedef void (*StoreDiffFunc) (const StoreReprocessItem *item, const StoreDiffLine *line,
                               gpointer user_data);

/* Called for a message that is left as it was: @why says why (its new
 * parse failed while the stored one did not; the database refused its
 * change). */
typedef void (*StoreProblemFunc) (const StoreReprocessItem *item, const char *why,
                                  gpointer user_data);

/**
 * StoreReprocessStats:
 * What a reprocessing run found (added up over batches); a dry run counts
 * exactly what a real run would do.  Set @diff_func, @problem_func
 * (nullable) and @user_data before the run.
 * @read: messages given.
 * @known: of them, stored before (found by content hash).
 * @unknown: never ingested (left alone).
 * @duplicates: a content already read in this run (left alone).
 * @unparseable: the new parse failed where the stored one had not (left
 *   alone).
 * @refused: messages whose change the database refused (left alone).
 * @changed, @unchanged: messages with and without a difference.
 * @added, @removed, @outcomes_changed, @outcomes_unchanged: outcomes.
 * @dropped: outcomes of months that retention dropped, not added back.
 * @addresses: distinct addresses re-evaluated (counters and suppression).
 * @suppressed, @lifted: changes of suppression made (as logged).
 * @transitions: "old -> new" reason (owned string) to a count (guint64 in
 *   a pointer), for the changed outcomes whose reason or hard_bounce
 *   changed.
 */
typedef struct {
  guint64 read;
  guint64 known;
  guint64 unknown;
  guint64 duplicates;
  guint64 unparseable;
  guint64 refused;
  guint64 changed;
  guint64 unchanged;
  guint64 added;
  guint64 removed;
  guint64 outcomes_changed;
  guint64 outcomes_unchanged;
  guint64 dropped;
  guint64 addresses;
  guint64 suppressed;
  guint64 lifted;
  GHashTable *transitions;

  StoreDiffFunc diff_func;
  StoreProblemFunc problem_func;
  gpointer user_data;
} StoreReprocessStats;

void store_reprocess_stats_init (StoreReprocessStats *stats);
void store_reprocess_stats_clear (StoreReprocessStats *stats);

typedef struct _StoreReprocess StoreReprocess;

/**
 * store_reprocess_begin:
 * Starts a reprocessing run on @store that adds what it finds to @stats
 * (borrowed for the run).  With @dry_run the whole run is one transaction
 * that store_reprocess_end() rolls back, so that every batch sees what the
 * batches before it did, as in a real run, and nothing stays.
 * Returns: (transfer full): the run, or NULL with @error_out set.
 */
StoreReprocess *store_reprocess_begin (Store *store, gboolean dry_run,
                                       StoreReprocessStats *stats, GError **error_out);

/**
 * store_reprocess_batch:
 * Brings the stored rows of @n archived messages up to their new parse, in
 * one transaction (a savepoint in a dry run): for each message known by
 * its content hash, the outcomes are compared with the new ones by
 * recipient (lower case; a recipient given twice by its place among its
 * namesakes): added, removed, or changed in any column; the messages row
 * takes the new parse's columns; the addresses touched get their counters,
 * latest outcome and suppression again (bounce.recompute_recipients,
 * logged as "bounced reprocess"), an address left with no outcome, no
 * operator decision and no suppression ever is forgotten.  The stored
 * messages record the current parser and classifier versions and, with
 * @relocate, where their file is.
 *
 * When the database refuses the batch, each message is tried again on its
 * own, so that one bad message leaves only itself as it was
 * (StoreReprocessStats.refused, @problem_func).
 * Returns: FALSE with @error_out set when the run cannot go on (the
 *   database went away, or the run's transaction is lost).
 */
gboolean store_reprocess_batch (StoreReprocess *rp, const StoreReprocessItem *items, guint n,
                                GError **error_out);

/**
 * store_reprocess_end:
 * Ends the run (rolls a dry run back) and frees @rp.  Returns: FALSE with
 * @error_out set when the rollback failed.
 */
gboolean store_reprocess_end (StoreReprocess *rp, GError **error_out);

/* Rows kept in the lists of a report. */
#define STORE_REPORT_TOP 10
/* Lines of the provider chart and reasons of the reason chart (then
 * "other"). */
#define STORE_REPORT_CHART_PROVIDERS 5
#define STORE_REPORT_CHART_REASONS 7

/**
 * StoreReportFilter:
 * What a report covers; every field (nullable) borrowed.
 * @since, @until: first and last day ("YYYY-MM-DD", UTC), inclusive.
 * @domain: only outcomes and sends of this recipient domain.
 * @campaign: only those of this campaign.
 */
typedef struct {
  const char *since;
  const char *until;
  const char *domain;
  const char *campaign;
} StoreReportFilter;

/**
 * store_report:
 * @since: (nullable): first day ("YYYY-MM-DD", UTC) covered; NULL: all.
 * Reads the report of `bounced report` from the views.
 * Returns: (transfer full): the data (see report-data.h), or NULL with
 *   @error_out set.
 */
ReportData *store_report (Store *store, const StoreReportFilter *filter, GError **error_out);

/* ---- read-only queries (store-query.c) --------------------------------- */

/**
 * StoreSuppression:
 * One row of a suppression export; every string borrowed, valid during the
 * callback only, NULL when absent.
 * @address: lower case.
 * @change: NULL for the whole list; "added" or "lifted" for changes.
 * @suppressed_at: ISO 8601 UTC, when the deciding event happened (NULL for
 *   a lifted one).
 * @reason: why, in words (for a lifted one: what lifted it).
 * @source: "policy" or "operator".
 * @changed_at: ISO 8601 UTC, when the state last changed.
 */
typedef struct {
  const char *address;
  const char *change;
  const char *domain;
  const char *suppressed_at;
  const char *reason;
  const char *source;
  const char *changed_at;
} StoreSuppression;

/* Called once per row; returns FALSE to stop (e.g. the output failed). */
typedef gboolean (*StoreSuppressionFunc) (const StoreSuppression *row, gpointer user_data);

/* Rows fetched per round trip of an export. */
#define STORE_EXPORT_FETCH 10000

/**
 * store_suppression_export:
 * @since: (nullable): NULL for the current list (bounce.suppression_list,
 *   by address); else an ISO 8601 time, for the addresses whose state
 *   changed at or after it (bounce.suppression_changes, by change time).
 * @as_of_out: (out) (transfer full) (optional): the time of the snapshot
 *   read (ISO 8601 UTC), to give as the next @since (less a margin, see
 *   sql/171_suppression_export.sql).
 *
 * Streams the rows to @row_func through a cursor in one read-only
 * REPEATABLE READ transaction (memory stays flat however long the list).
 * Returns: the number of rows, or -1 with @error_out set (or when
 *   @row_func stopped, without an error).
 */
gint64 store_suppression_export (Store *store, const char *since, StoreSuppressionFunc row_func,
                                 gpointer user_data, char **as_of_out, GError **error_out);

/**
 * StoreShownMessage:
 * A stored message and its outcomes, for `bounced show` (all owned).
 * @fields: char* "name", char* value (NULL when absent), ...: the messages
 *   row (sha256, source, kind, format, ...), in order.
 * @outcomes: GPtrArray* per outcome, of the same name/value pairs.
 */
typedef struct {
  char *sha256;
  char *source;
  GPtrArray *fields;
  GPtrArray *outcomes;
} StoreShownMessage;

void store_shown_message_free (StoreShownMessage *m);

/**
 * store_show:
 * @key: a content hash (64 hex digits) or a Message-ID of the returned
 *   message, with or without its angle brackets.
 * Appends to @messages_out (StoreShownMessage*, owned by the array's free
 * function) every stored message with that hash or original Message-ID,
 * oldest first.  Returns: how many, or -1 with @error_out set.
 */
gint store_show (Store *store, const char *key, GPtrArray *messages_out, GError **error_out);

/* One month partition of recipient_outcomes for retention. */
typedef struct {
  char *partition;
  char *month;       /* "YYYY-MM" */
  gint64 outcomes;
} StoreMonth;

void store_month_free (StoreMonth *m);

/**
 * store_retention:
 * @before: "YYYY-MM-DD": the months wholly before it.
 * @drop: detach and drop them (else only list them).
 * Moves what the default partition still holds into month partitions
 * first, then appends the months to @months_out (StoreMonth*), in one
 * transaction.  Returns: FALSE with @error_out set on failure (nothing
 * dropped).
 */
gboolean store_retention (Store *store, const char *before, gboolean drop, GPtrArray *months_out,
                          GError **error_out);
