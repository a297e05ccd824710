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

/* Flags of a rule (the "flags=" condition of a rules file). */
enum {
  /* Consulted after the enhanced status code, not before: wording too
   * general to overrule a specific code ("rejected", "access denied"). */
  CLASSIFY_WEAK = 1 << 0,
  /* phrase rules: the phrase must not touch a letter or digit on either
   * side (word rules always match whole words). */
  CLASSIFY_WORD = 1 << 1,
  /* The match must follow a host name ("mx.example.com does not
   * exist"): a word with a dot and no '@' just before it. */
  CLASSIFY_AFTER_HOST = 1 << 2,
  /* Wording of a failed directory lookup ("recipient not found", "user
   * does not exist"): refinements may ask for it (ClassifyRefinement
   * .lookup). */
  CLASSIFY_LOOKUP = 1 << 3,
  /* status rules: a code whose meaning is a whole family (x.7.1, x.5.0):
   * it decides only when no wording does. */
  CLASSIFY_VAGUE = 1 << 4,
};

/* Priorities of text rules: among the rules whose pattern occurs, the
 * highest priority wins, then the longest match, then the first row. */
enum {
  CLASSIFY_P_LOW = 20,       /* consequences ("giving up", "queue too long") */
  CLASSIFY_P_NORMAL = 50,
  CLASSIFY_P_HIGH = 70,      /* specific wording that names the cause */
  CLASSIFY_P_PROVIDER = 90,  /* a provider's own code or wording */
};

/* A phrase that tells which SMTP command the diagnostic answers
 * ("after RCPT TO", "in reply to end of DATA command"). */
typedef struct {
  const char *phrase;
  ClassifyCommand command;
} ClassifyCommandCue;

/* A parsed code pattern "C.S.D": each part a number or "x" (any), the
 * detail also a range "600-649"; -1 means any. */
typedef struct {
  int cls;
  int subject;
  int detail_lo;
  int detail_hi;
} ClassifyCodePattern;

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
 * @host: (nullable): host suffixes separated by '|'; one must match the
 *   remote MTA, the reporting MTA or the recipient's domain.
 * @failed: the rule applies only when the recipient's Action is failed.
 * @below_provider: the rule does not apply to a provider's own wording
 *   (CLASSIFY_P_PROVIDER), which decides by itself.
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
  const char *host;
  gboolean failed;
  gboolean below_provider;
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

extern const ClassifyCommandCue classify_command_cues[];
extern const guint classify_n_command_cues;
/* A reason's registered enhanced code, without its class. */
typedef struct {
  const char *reason;
  guint8 subject;
  guint8 detail;
} ClassifyReasonCode;

extern const ClassifyReasonCode classify_reason_codes[];
extern const guint classify_n_reason_codes;
extern const ClassifyRefinement classify_refinements[];
extern const guint classify_n_refinements;
extern const ClassifyTypeRule classify_type_rules[];
extern const guint classify_n_type_rules;
extern const ClassifyFormatRule classify_format_rules[];
extern const guint classify_n_format_rules;

/* ---- classify-code.c: code patterns --------------------------------------- */

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

/* ---- classify-text.c: the normal form rules read ---------------------------- */

typedef enum {
  CLASSIFY_CHAR_SEPARATOR,
  CLASSIFY_CHAR_WORD,
  CLASSIFY_CHAR_IDEOGRAPH,
} ClassifyCharClass;

/* Writes the normal form of the first @len bytes of @in to @out (room for
 * 2 * @len + 1 bytes), NUL-terminated; returns its length. */
gsize classify_text_normalise (const char *in, gsize len, char *out);

/* What the character at @pos of normalised @text (@len bytes) is; its
 * length in bytes goes to *@char_len_out. */
ClassifyCharClass classify_text_class (const char *text, gsize len, gsize pos,
                                       gsize *char_len_out);

/* What the character just before @pos is (a separator at the start). */
ClassifyCharClass classify_text_class_before (const char *text, gsize pos);

/* ---- classify-pattern.c: word patterns -------------------------------------- */

typedef struct _ClassifyPattern ClassifyPattern;

/* A term of a pattern: one word, matched whole or, for a stem, at a word's
 * start; or a run of ideographs, matched anywhere.  Borrowed from its
 * pattern. */
typedef struct {
  const char *text;
  gsize len;
  gboolean stem;
  gboolean ideograph;
} ClassifyLiteral;

/* Whether @literal matches normalised @text (@len bytes) at @pos, as a
 * pattern's term would; *@end_out (nullable) gets the end. */
gboolean classify_literal_at (const ClassifyLiteral *literal, const char *text, gsize len,
                              gsize pos, gsize *end_out);

/* Compiles @source (grammar in classify-pattern.c); NULL with *@why_out
 * (static) on error. */
ClassifyPattern *classify_pattern_compile (const char *source, const char **why_out);
void classify_pattern_free (ClassifyPattern *pattern);

typedef void (*ClassifyAnchorFunc) (const ClassifyLiteral *anchor, gpointer user_data);

/* Calls @func with each literal a match must begin with. */
void classify_pattern_anchors (const ClassifyPattern *pattern, ClassifyAnchorFunc func,
                               gpointer user_data);

/* Called for each clause of what a match needs: one of the @n literals
 * must match (classify_literal_at) somewhere at or after the match's
 * start. */
typedef void (*ClassifyClauseFunc) (const ClassifyLiteral *const *literals, guint n,
                                    gpointer user_data);

/* Calls @func with the clauses every match of @pattern satisfies (not all
 * of them, when there are too many to combine): a text where one clause
 * has no literal cannot match, which a rule index checks before trying
 * the pattern at an anchor. */
void classify_pattern_required (const ClassifyPattern *pattern, ClassifyClauseFunc func,
                                gpointer user_data);

/* Whether @pattern matches normalised @text starting exactly at @start;
 * *@end_out gets the end of the match. */
gboolean classify_pattern_match_at (const ClassifyPattern *pattern, const char *text,
                                    gsize len, gsize start, gsize *end_out);

/* The first match of @pattern anywhere in normalised @text. */
gboolean classify_pattern_search (const ClassifyPattern *pattern, const char *text,
                                  gsize len, gsize *start_out, gsize *end_out);

/* A text the pattern matches: first alternatives, no optional parts, no
 * gaps (for the tests).  Newly allocated. */
char *classify_pattern_example (const ClassifyPattern *pattern);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClassifyPattern, classify_pattern_free)

/* ---- classify.c: rules ------------------------------------------------------ */

typedef enum {
  CLASSIFY_MATCH_PHRASE,   /* substring, parts separated by " * " */
  CLASSIFY_MATCH_WORDS,    /* a word pattern (classify-pattern.c) */
  CLASSIFY_MATCH_STATUS,   /* an enhanced status code pattern */
  CLASSIFY_MATCH_REPLY,    /* a reply code pattern */
} ClassifyMatchKind;

/* Most parts of a phrase. */
#define CLASSIFY_MAX_PARTS 8u

/* Verdicts of permanence rules (first column "permanent" / "transient"),
 * which read a notice's words rather than name a reason. */
extern const char classify_permanent[];
extern const char classify_transient[];
#define CLASSIFY_PERMANENT classify_permanent
#define CLASSIFY_TRANSIENT classify_transient

/**
 * ClassifyRule:
 * One line of a rules file, compiled.  Strings belong to the rule set.
 * @name: name= (built-in rules always have one), or NULL.
 * @file, @line: where it was written.
 * @reason: the vocabulary's string, or CLASSIFY_PERMANENT/TRANSIENT.
 * @kind: what @pattern_text is.
 * @pattern_text: the pattern as written; @conditions_text: the rest.
 */
typedef struct {
  const char *name;
  const char *file;
  guint line;
  guint seq;                 /* position in its set: earlier rows win ties */
  const char *reason;
  ClassifyMatchKind kind;
  const char *pattern_text;
  const char *conditions_text;
  /* CLASSIFY_MATCH_PHRASE */
  const char *parts[CLASSIFY_MAX_PARTS];
  gsize part_len[CLASSIFY_MAX_PARTS];
  guint n_parts;
  gsize phrase_len;
  /* CLASSIFY_MATCH_WORDS */
  ClassifyPattern *pattern;
  /* CLASSIFY_MATCH_STATUS / REPLY */
  ClassifyCodePattern code;
  const char *reply;
  /* conditions */
  ClassifyPattern *unless;
  gboolean has_status;
  ClassifyCodePattern status;
  const char *reply_cond;
  char **hosts;
  ClassifyCommand command;
  guint priority;
  guint flags;
} ClassifyRule;

/* The built-in rules, in the order of their files. */
guint classify_builtin_rule_count (void);
const ClassifyRule *classify_builtin_rule (guint index);

/* The rules of a local set, in load order. */
const ClassifyRule *classify_local_rule (const BounceRules *rules, guint index);

/* The built-in rules files (parser/rules/), embedded at build time by
 * parser/rules/embed-rules.py. */
typedef struct {
  const char *name;
  const char *text;
} ClassifyRulesFile;

extern const ClassifyRulesFile classify_builtin_files[];
extern const unsigned classify_n_builtin_files;

/* ---- classify.c: for the tests ------------------------------------------- */

/* Whether the built-in rule tables are consistent: names unique, every
 * reason in the vocabulary, every pattern valid.  On failure, @error_out
 * says which row is wrong. */
gboolean classify_check_tables (GError **error_out);

/* Called for each text rule found in a text, with where its match is. */
typedef void (*ClassifyHitFunc) (const ClassifyRule *rule, gsize start, gsize end,
                                 gpointer user_data);

/* Scans normalised @text with the built-in text and permanence rules and
 * calls @func for each rule found.  @plain: every anchor occurrence is
 * tried, without the shortcuts of the index (required words, anchors
 * checked as terms, a failed start not tried again): what the index must
 * find all the same. */
void classify_index_hits (const char *text, gsize len, gboolean plain, ClassifyHitFunc func,
                          gpointer user_data);

/* Whether @reason is a name of the vocabulary. */
gboolean classify_reason_known (const char *reason);

G_END_DECLS
