/* bounce.h - public interface of the bounce parser library
 *
 * The parser turns the bytes of one mail message into a BounceReport: what
 * kind of message it is (RFC 3464 DSN, legacy bounce, RFC 3834 auto-reply,
 * RFC 5965 feedback report, ordinary mail), the per-message DSN fields, the
 * headers of the returned message, and one BounceRecipient per recipient the
 * report speaks of, each classified with a reason (see REASONS in README.md).
 *
 * The library is pure: bytes in, a report out.  It reads no files, no
 * configuration and no environment; every limit comes from BounceSettings.
 *
 * Invariants of a report:
 *  1. Absent values are NULL, never "".
 *  2. Every string of a report lives in the report's own string chunk and
 *     dies with bounce_report_free(); none is to be freed on its own.
 *  3. recipients is never NULL (it may be empty).
 *  4. kind is BOUNCE_KIND_ERROR if and only if error is non-NULL.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Defaults of the limits in BounceSettings. */
#define BOUNCE_DEFAULT_MAX_MESSAGE_SIZE  (32u * 1024u * 1024u)
#define BOUNCE_DEFAULT_MAX_MIME_DEPTH    32u
#define BOUNCE_DEFAULT_MAX_MIME_PARTS    1000u
#define BOUNCE_DEFAULT_MAX_RECIPIENTS    10000u
#define BOUNCE_DEFAULT_MAX_FIELD_LENGTH  (64u * 1024u)
#define BOUNCE_DEFAULT_CAMPAIGN_HEADER   "X-Campaign-ID"

#define BOUNCE_PARSE_ERROR (bounce_parse_error_quark ())

/**
 * BounceParseError:
 * @BOUNCE_PARSE_ERROR_TOO_LARGE: the input exceeds a configured limit
 *   (size, MIME depth, MIME parts, recipients); the caller may raise the
 *   limit.
 * @BOUNCE_PARSE_ERROR_MALFORMED: the input is not a mail message at all.
 */
typedef enum {
  BOUNCE_PARSE_ERROR_TOO_LARGE,
  BOUNCE_PARSE_ERROR_MALFORMED,
} BounceParseError;

typedef enum {
  BOUNCE_KIND_DSN,
  BOUNCE_KIND_LEGACY,
  BOUNCE_KIND_AUTO_REPLY,
  BOUNCE_KIND_FEEDBACK,
  BOUNCE_KIND_NOT_BOUNCE,
  BOUNCE_KIND_ERROR,
} BounceKind;

/* A field kept as it came (X- extension fields of a DSN). */
typedef struct {
  const char *name;
  const char *value;
} BounceField;

/**
 * BounceRecipient:
 * One recipient of a report.  Strings are UTF-8, owned by the report.
 * @recipient: the failed address, bare (no angle brackets, no type prefix).
 * @original_recipient: Original-Recipient, bare, or NULL.
 * @action: RFC 3464 Action in lower case ("failed", "delayed", ...) or NULL.
 * @status: RFC 3463 enhanced code "c.sss.ddd", or NULL.  Every failed or
 *   delayed recipient has one once classified: when the report gave none,
 *   it is inferred and @status_source says from what.
 * @status_source: NULL when the report gave @status (the server's reply or
 *   the reporting MTA's Status field); otherwise the class of @status came
 *   from "reply-code" (the SMTP reply code the server gave), "notice" (the
 *   notice's own words: "permanent error", "will retry", its Action) or
 *   "reason" (the reason's usual class), and its subject and detail are the
 *   reason's registered code (RFC 3463, IANA), or 0.0.
 * @reply_code: SMTP reply code "550", or NULL.
 * @diagnostic_type: "smtp", "x-unix", ... (lower case) or NULL.
 * @diagnostic: the diagnostic text, unfolded, whitespace collapsed.
 * @command: the SMTP command the remote reply answered, as the notice's
 *   human-readable part names it ("RCPT", "DATA", "MAIL", "EHLO", "HELO",
 *   "CONNECT"; static string), or NULL.
 * @remote_mta: host name or address from Remote-MTA, or NULL.
 * @last_attempt, @will_retry_until: ISO 8601 times in UTC
 *   ("2026-11-20T10:00:00+00:00"), or NULL when absent or unreadable.
 * @last_attempt_text, @will_retry_until_text: the same fields as written.
 * @final_log_id: Final-Log-ID, or NULL.
 * @feedback_type: ARF Feedback-Type for feedback reports, else NULL.
 * @reason: a reason of the vocabulary (static string, never NULL once
 *   classified).
 * @hard_bounce: whether the address itself is dead.
 * @evidence: what decided the reason ("diagnostic:rule-name", "status:5.1.1").
 * @extensions: BounceField* of X- fields of the recipient block (never NULL).
 * @notice: (private) what the report itself says of this recipient beside
 *   the remote server's answer: the comment of its Status field ("5.2.1
 *   (mailbox disabled, not accepting messages)"), a provider's explanation
 *   paragraph.  Read by the classifier as secondary evidence; not part of
 *   the output contract.
 * @rule_where: (private) where the deciding rule is written ("rules/
 *   010-userunknown.rules:3", a local file's path and line), or NULL when
 *   no rule of a rules file decided; for bounced classify.
 */
typedef struct {
  const char *recipient;
  const char *original_recipient;
  const char *action;
  const char *status;
  const char *status_source;
  const char *reply_code;
  const char *diagnostic_type;
  const char *diagnostic;
  const char *command;
  const char *remote_mta;
  const char *last_attempt;
  const char *will_retry_until;
  const char *last_attempt_text;
  const char *will_retry_until_text;
  const char *final_log_id;
  const char *feedback_type;
  const char *reason;
  gboolean hard_bounce;
  const char *evidence;
  GPtrArray *extensions;

  /*< private >*/
  const char *notice;
  const char *rule_where;
} BounceRecipient;

/* Headers of the returned (original) message; any may be NULL. */
typedef struct {
  const char *message_id;
  const char *from;
  const char *to;
  const char *subject;
  const char *date;
  const char *list_id;
  const char *campaign;
} BounceOriginal;

/**
 * BounceReport:
 * @kind: what the message is.
 * @format: which decoder recognised it ("rfc3464", "postfix", "qmail", ...),
 *   or NULL for not-bounce and error.
 * @reporting_mta, @dsn_gateway, @received_from_mta: host names (type prefix
 *   removed) or NULL.
 * @original_envelope_id: Original-Envelope-Id or NULL.
 * @arrival_date: ISO 8601 in UTC, or NULL when absent or unreadable.
 *   Every time of a report is normalised to UTC: RFC 5322 allows zone
 *   offsets up to +9959, PostgreSQL's timestamptz only up to 15:59.
 * @arrival_date_text: Arrival-Date as written.
 * @message_date: the Date of the report itself in ISO 8601 UTC, or NULL.
 * @message_date_text: that Date as written.
 * @message_from, @message_subject: headers of the report *   itself (the bounce), decoded; NULL when absent.
 * @original: headers of the returned message.
 * @recipients: BounceRecipient*, in the order the report gives them.
 * @extensions: BounceField* of per-message X- fields (never NULL).
 * @error: why the message could not be parsed, or NULL.
 */
typedef struct {
  BounceKind kind;
  const char *format;
  const char *reporting_mta;
  const char *dsn_gateway;
  const char *received_from_mta;
  const char *original_envelope_id;
  const char *arrival_date;
  const char *arrival_date_text;
  const char *message_from;
  const char *message_subject;
  const char *message_date;
  const char *message_date_text;
  BounceOriginal original;
  GPtrArray *recipients;
  GPtrArray *extensions;
  const char *error;

  /*< private >*/
  GStringChunk *strings;
  guint max_recipients;       /* bounce_report_add_recipient() adds no more */
  gboolean too_many;          /* it was asked to */
  GHashTable *by_address;     /* lower-cased address -> first recipient */
  guint indexed;              /* recipients[0, indexed) were looked at */
  GArray *unindexed;          /* positions below indexed with no address yet */
  /* What the notice's own words say of permanence, for recipients the
   * server gave no code for: '5', '4' or 0 (classify_notice_permanence). */
  char notice_class;
} BounceReport;

typedef struct _BounceRules BounceRules;

/**
 * BounceSettings:
 * Limits and options of one parse.  Initialise with bounce_settings_init().
 * @max_message_size: inputs larger than this are refused (bytes).
 * @max_mime_depth: MIME nesting deeper than this is refused.
 * @max_mime_parts: messages of more MIME parts than this are refused, before
 *   GMime builds them (memory grows with the parts, not with the bytes).
 * @max_recipients: recipient blocks beyond this are refused.
 * @max_field_length: longer field values are truncated to this many bytes.
 * @campaign_header: name of the header of the returned message that carries
 *   the campaign (borrowed; default BOUNCE_DEFAULT_CAMPAIGN_HEADER).
 * @rules: local classification rules consulted before the built-in ones,
 *   or NULL (borrowed).
 */
typedef struct {
  gsize max_message_size;
  guint max_mime_depth;
  guint max_mime_parts;
  guint max_recipients;
  gsize max_field_length;
  const char *campaign_header;
  const BounceRules *rules;
} BounceSettings;

GQuark bounce_parse_error_quark (void);

/* Fills @settings with the defaults. */
void bounce_settings_init (BounceSettings *settings);

/**
 * bounce_report_parse:
 * @data: the raw message (any line endings: LF, CRLF or CR).
 * @length: its size in bytes.
 * @settings: (nullable): limits and options; NULL means the defaults.
 *
 * Parses one message.  Never fails on malformed mail: a report that cannot be
 * understood comes back with kind BOUNCE_KIND_ERROR and @error set, so that
 * the caller can keep and record it.  The only NULL return is for input past
 * a limit, with @error_out set to BOUNCE_PARSE_ERROR_TOO_LARGE.
 *
 *   g_autoptr(BounceReport) r = bounce_report_parse (buf, len, NULL, &err);
 *   for (guint i = 0; r && i < r->recipients->len; i++)
 *     use (g_ptr_array_index (r->recipients, i));
 *
 * Returns: (transfer full) (nullable): the report; free with
 *   bounce_report_free().
 */
BounceReport *bounce_report_parse (const char *data,
                                   gsize length,
                                   const BounceSettings *settings,
                                   GError **error_out);

/**
 * bounce_parse_init:
 *
 * Initialises GMime for the whole process, once, whichever thread comes
 * first.  bounce_report_parse() calls it itself; code that uses GMime
 * beside the library (the worker's mbox reader) calls it first, instead of
 * g_mime_init(), which is not thread-safe: two initialisations at once
 * register GMime's types twice, and the next parse crashes.
 */
void bounce_parse_init (void);

/**
 * bounce_report_new_error:
 * Makes a report of kind BOUNCE_KIND_ERROR carrying @message (copied), for
 * inputs that could not even be read.  Returns: (transfer full).
 */
BounceReport *bounce_report_new_error (const char *message);

/* Frees @report and every string in it; NULL is accepted. */
void bounce_report_free (BounceReport *report);

/* "dsn", "legacy-bounce", "auto-reply", "feedback", "not-bounce", "error". */
const char *bounce_kind_to_string (BounceKind kind);

/* The version of the classifier (rules and decision order); it changes
 * whenever a stored outcome could be classified differently. */
const char *bounce_classifier_version (void);

/**
 * bounce_rules_load:
 * @path: a local rules file (format in bounced(1), "RULES FILES").
 *
 * Loads local classification rules.  Rules of later loads on the same set
 * are consulted after earlier ones.  On a bad file, fails with
 * G_FILE_ERROR (unreadable) or BOUNCE_PARSE_ERROR_MALFORMED naming the file,
 * the line and what is wrong.  Loading is the one place the library reads a
 * file, because rules are data for the parser, not configuration of it.
 *
 * Returns: (transfer full) (nullable): the rules; free with bounce_rules_free().
 */
BounceRules *bounce_rules_new (void);
gboolean bounce_rules_load (BounceRules *rules, const char *path,
                            GError **error_out);
guint bounce_rules_count (const BounceRules *rules);
void bounce_rules_free (BounceRules *rules);

/**
 * BounceRuleInfo:
 * One classification rule as a rules file writes it (bounced-reasons(7),
 * "RULES FILES"); strings belong to the rule set.
 * @reason: a reason, or "permanent"/"transient" for permanence rules.
 * @kind: "words", "phrase", "status" or "reply".
 * @pattern: the pattern as written.
 * @conditions: (nullable): the conditions as written ("name=x host=y").
 * @name: (nullable): the rule's name (evidence "diagnostic:NAME").
 * @file, @line: where the rule is written; built-in files are named
 *   "rules/NNN-name.rules".
 */
typedef struct {
  const char *reason;
  const char *kind;
  const char *pattern;
  const char *conditions;
  const char *name;
  const char *file;
  guint line;
} BounceRuleInfo;

typedef void (*BounceRuleFunc) (const BounceRuleInfo *rule, gpointer user_data);

/* Calls @func for every rule of @rules in load order, or for the built-in
 * rules in the order of their files when @rules is NULL. */
void bounce_rules_foreach (const BounceRules *rules, BounceRuleFunc func, gpointer user_data);

/**
 * BounceClassifyInput:
 * One recipient's answer, as a user writing rules has it.  Any field may
 * be NULL.  @action defaults to "failed"; codes missing here are taken
 * from the text when it starts with them ("550 5.1.1 ...").
 */
typedef struct {
  const char *diagnostic;
  const char *status;
  const char *reply_code;
  const char *command;
  const char *action;
  const char *remote_mta;
  const char *recipient;
} BounceClassifyInput;

/**
 * bounce_classify:
 * Classifies one answer the way bounce_report_parse() classifies a
 * recipient of a report, with @rules (nullable) before the built-in ones.
 *
 *   BounceClassifyInput in = { .diagnostic = "550 5.1.1 User unknown" };
 *   g_autoptr(BounceReport) r = bounce_classify (&in, NULL);
 *   BounceRecipient *one = g_ptr_array_index (r->recipients, 0);
 *
 * Returns: (transfer full): a report of kind BOUNCE_KIND_DSN with one
 *   recipient; free with bounce_report_free().
 */
BounceReport *bounce_classify (const BounceClassifyInput *input, const BounceRules *rules);

/* Whether @reason is a reason of the vocabulary (bounced-reasons(7)). */
gboolean bounce_reason_is_known (const char *reason);

/* Whether @status is an RFC 3463 enhanced status code ("5.1.1"). */
gboolean bounce_status_is_valid (const char *status);

/* Where the rule that decided @recipient's reason is written ("rules/
 * 010-userunknown.rules:3"), or NULL when no rule of a rules file decided
 * (the message's kind, an Action, a notice's format). */
const char *bounce_recipient_rule_where (const BounceRecipient *recipient);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BounceReport, bounce_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BounceRules, bounce_rules_free)

G_END_DECLS
