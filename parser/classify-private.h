/* classify-private.h - the classifier's rule tables and its phrase matcher
 *
 * Shared by classify.c (decision order, local rules files),
 * classify-rules.c (the built-in tables), classify-match.c (the phrase
 * automaton) and the classifier's tests.  Nothing else includes it.
 */
#pragma once

#include "bounce-private.h"

G_BEGIN_DECLS

/* The SMTP command a diagnostic says it answered (RFC 5321 section 3).
 * CONNECT is the greeting; HELO covers EHLO. */
typedef enum {
  CLASSIFY_COMMAND_ANY = 0,
  CLASSIFY_COMMAND_CONNECT,
  CLASSIFY_COMMAND_HELO,
  CLASSIFY_COMMAND_MAIL,
  CLASSIFY_COMMAND_RCPT,
  CLASSIFY_COMMAND_DATA,
} ClassifyCommand;

/* Flags of a phrase rule. */
enum {
  /* Consulted after the enhanced status code, not before: wording too
   * general to overrule a specific code ("rejected", "access denied"). */
  CLASSIFY_WEAK = 1 << 0,
  /* The phrase must not touch a letter or digit on either side. */
  CLASSIFY_WORD = 1 << 1,
  /* The phrase must follow a host name ("mx.example.com does not
   * exist"): a word with a dot and no '@' just before it. */
  CLASSIFY_AFTER_HOST = 1 << 2,
  /* Wording of a failed directory lookup ("recipient not found", "user
   * does not exist"): refinements may ask for it (ClassifyRefinement
   * .lookup). */
  CLASSIFY_LOOKUP = 1 << 3,
};

/* Priorities of phrase rules: among the rules whose phrase occurs, the
 * highest priority wins, then the longest phrase, then the first row. */
enum {
  CLASSIFY_P_LOW = 20,       /* consequences ("giving up", "queue too long") */
  CLASSIFY_P_NORMAL = 50,
  CLASSIFY_P_HIGH = 70,      /* specific wording that names the cause */
  CLASSIFY_P_PROVIDER = 90,  /* a provider's own code or wording */
};

/**
 * ClassifyPhraseRule:
 * @name: the rule's name, unique; the evidence is "diagnostic:@name".
 * @reason: the reason it gives (a name of REASONS, static).
 * @phrase: lower-case text to find in the diagnostic.  " * " separates
 *   parts that must all occur in this order, anything between them.
 * @status: (nullable): a code pattern (see ClassifyCodePattern) the
 *   recipient's status must match.
 * @reply: (nullable): a reply pattern ("550", "55x", "5xx").
 * @host: (nullable): host suffixes separated by '|'; one must match the
 *   remote MTA, the reporting MTA or the recipient's domain.
 * @command: the SMTP command the diagnostic must answer, or ANY.
 * @priority: CLASSIFY_P_*.
 * @flags: CLASSIFY_WEAK, CLASSIFY_WORD, CLASSIFY_AFTER_HOST, CLASSIFY_LOOKUP.
 */
typedef struct {
  const char *name;
  const char *reason;
  const char *phrase;
  const char *status;
  const char *reply;
  const char *host;
  guint8 command;
  guint8 priority;
  guint8 flags;
} ClassifyPhraseRule;

/* A phrase that tells which SMTP command the diagnostic answers
 * ("after RCPT TO", "in reply to end of DATA command"). */
typedef struct {
  const char *phrase;
  ClassifyCommand command;
} ClassifyCommandCue;

/* A code rule: @code is a pattern "C.S.D": each part a number or "x" (any),
 * the detail also a range "600-649".  The most specific matching row
 * wins.  The evidence is "status:<the recipient's code>". */
typedef struct {
  const char *code;
  const char *reason;
} ClassifyCodeRule;

/* A reply code rule: @code "550", "55x" or "5xx". */
typedef struct {
  const char *code;
  const char *reason;
} ClassifyReplyRule;

/**
 * ClassifyRefinement:
 * Turns a reason decided from the text into another one when the SMTP
 * command or the status says the text is about someone else: "user
 * unknown" in reply to MAIL FROM speaks of the sender, "no such domain"
 * at the greeting of the client's name.  The first matching row applies.
 * @name: evidence suffix: "diagnostic:<rule>/<name>".
 * @rule: (nullable): the phrase rule it applies to; NULL for any.
 * @from: the reason the text gave.
 * @to: the reason it becomes.
 * @command: required command, or ANY.
 * @status: (nullable): required code pattern.
 * @status_not: (nullable): a code pattern the status must not match (an
 *   absent status does not match it).
 * @no_command: the rule applies only when no command is known.
 * @with_reply: the rule applies only when there is a reply code.
 * @lookup: the rule applies only to phrase rules flagged CLASSIFY_LOOKUP.
 */
typedef struct {
  const char *name;
  const char *rule;
  const char *from;
  const char *to;
  ClassifyCommand command;
  const char *status;
  const char *status_not;
  gboolean no_command;
  gboolean with_reply;
  gboolean lookup;
} ClassifyRefinement;

/* A legacy notice format (report->format) that decides by itself, after
 * the text and before the codes. */
typedef struct {
  const char *format;
  const char *reason;
} ClassifyFormatRule;

/* A Diagnostic-Code type that decides by itself (RFC 3464 section 2.3.6):
 * "x-unix" names a local delivery program.  Text rules giving one of the
 * reasons in @keep still win (the program reports the mailbox's state). */
typedef struct {
  const char *type;
  const char *reason;
  const char *keep[4];
} ClassifyTypeRule;

extern const ClassifyPhraseRule classify_phrase_rules[];
extern const guint classify_n_phrase_rules;
extern const ClassifyCommandCue classify_command_cues[];
extern const guint classify_n_command_cues;
extern const ClassifyCodeRule classify_code_rules[];
extern const guint classify_n_code_rules;
extern const ClassifyReplyRule classify_reply_rules[];
extern const guint classify_n_reply_rules;
extern const ClassifyRefinement classify_refinements[];
extern const guint classify_n_refinements;
extern const ClassifyTypeRule classify_type_rules[];
extern const guint classify_n_type_rules;
extern const ClassifyFormatRule classify_format_rules[];
extern const guint classify_n_format_rules;

/* ---- classify-code.c: code patterns --------------------------------------- */

/* A parsed "C.S.D" pattern; -1 means any.  */
typedef struct {
  int cls;
  int subject;
  int detail_lo;
  int detail_hi;
} ClassifyCodePattern;

/* Parses @text ("5.7.1", "x.7.26", "5.7.606-649", "4.x.x") into
 * @pattern_out.  Returns FALSE (and leaves @pattern_out alone) if @text is
 * not such a pattern. */
gboolean classify_code_parse (const char *text, ClassifyCodePattern *pattern_out);

/* Whether the status @status ("5.7.1") matches @pattern. */
gboolean classify_code_match (const ClassifyCodePattern *pattern, const char *status);

/* A status code split into its parts, to test against many patterns. */
typedef struct {
  int cls;
  int subject;
  int detail;
} ClassifyCode;

/* Splits @status into @code_out; FALSE if it is not a status code. */
gboolean classify_code_split (const char *status, ClassifyCode *code_out);

gboolean classify_code_match_split (const ClassifyCodePattern *pattern, const ClassifyCode *code);

/* How specific @pattern is: greater means fewer codes match. */
int classify_code_specificity (const ClassifyCodePattern *pattern);

/* Whether @reply ("550") matches @pattern ("550", "55x", "5xx"). */
gboolean classify_reply_match (const char *pattern, const char *reply);

/* Whether @pattern is a valid reply pattern. */
gboolean classify_reply_valid (const char *pattern);

/* ---- classify-match.c: the multi-phrase automaton ------------------------- */

/* An Aho-Corasick automaton over lower-case phrases, built once: one pass
 * over a text finds every occurrence of every phrase. */
typedef struct _ClassifyMatcher ClassifyMatcher;

ClassifyMatcher *classify_matcher_new (void);

/* Adds @phrase (lower case, at least one byte) with the value @id,
 * returned by classify_matcher_scan for each occurrence.  @phrase is
 * borrowed until classify_matcher_build returns. */
void classify_matcher_add (ClassifyMatcher *matcher, const char *phrase, gsize len,
                           guint id);

/* Builds the automaton; no phrase may be added afterwards. */
void classify_matcher_build (ClassifyMatcher *matcher);

/* Called for each occurrence: @end is the offset just past it.  Return
 * FALSE to stop the scan. */
typedef gboolean (*ClassifyMatchFunc) (guint id, gsize end, gpointer user_data);

/* Scans @text (lower case, @len bytes) and calls @func for each phrase
 * occurrence, in order of their end offsets. */
void classify_matcher_scan (const ClassifyMatcher *matcher, const char *text, gsize len,
                            ClassifyMatchFunc func, gpointer user_data);

void classify_matcher_free (ClassifyMatcher *matcher);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClassifyMatcher, classify_matcher_free)

/* ---- classify.c: for the tests ------------------------------------------- */

/* Whether the built-in rule tables are consistent: names unique, every
 * reason in the vocabulary, every pattern valid.  On failure, @error_out
 * says which row is wrong. */
gboolean classify_check_tables (GError **error_out);

/* Whether @reason is a name of the vocabulary. */
gboolean classify_reason_known (const char *reason);

G_END_DECLS
