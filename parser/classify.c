/* classify.c - reasons, hard-bounce verdicts and the evidence for them
 *
 * Gives each recipient of a report a reason of the vocabulary (REASONS in
 * bounced-reasons(7)), whether the address itself is dead (hard_bounce),
 * and what decided (evidence).  The rules are data (classify-rules.c and
 * local rules files); this file holds the decision order and the rules
 * file reader.
 *
 * Decision order, strongest evidence first (bounced-reasons(7), "HOW A
 * REASON IS DECIDED"):
 *   1. the kind of message: auto-reply -> vacation, feedback report ->
 *      feedback ("kind:...");
 *   2. success: Action delivered, relayed or expanded (RFC 3464 2.3.3), or
 *      a 2.x.x status, -> delivered ("action:..." / "status:...");
 *   3. local rules, in the order they were loaded ("local:FILE:LINE");
 *   4. the diagnostic text against the phrase rules that name a cause
 *      ("diagnostic:RULE"), unless the report's own words about the
 *      recipient (BounceRecipient.notice) name a cause of a higher class
 *      that the status code does not contradict ("notice:RULE",
 *      notice_decides); a Diagnostic-Code type that decides by itself
 *      ("diagnostic-type:x-unix");
 *   5. a legacy notice format that says by itself what happened
 *      ("format:googlegroups");
 *   6. the enhanced status code, RFC 3463 and the IANA registry
 *      ("status:C.S.D");
 *   7. general wording that a specific code overrules ("diagnostic:RULE");
 *   8. the SMTP command the text answers: refused at the greeting or
 *      HELO -> blocked, at MAIL FROM -> rejected ("command:...");
 *   9. Action: delayed with no words that say why -> expired
 *      ("action:delayed");
 *  10. codes whose meaning is a whole family (x.7.1, x.5.0) ("status:...");
 *  11. the SMTP reply code, RFC 5321 4.2.3 ("reply-code:NNN");
 *  12. onhold when there is a status, reply code or diagnostic we cannot
 *      explain, undefined when there is none of them (evidence null).
 * A reason taken from the text is refined by the SMTP command it answers
 * (classify_refinements): "no such user" in reply to MAIL FROM is about
 * the sender.
 *
 * hard_bounce is true only for userunknown, hostunknown, hasmoved, and
 * notaccept with a permanent (5xx) code; never for Action: delayed.
 *
 * Invariants:
 *  1. The built-in automaton is built once (g_once) and only read after;
 *     local rules are built by bounce_rules_load and only read while
 *     parsing: classification is safe from any number of threads.
 *  2. A diagnostic is lower-cased once per recipient and scanned once per
 *     automaton; no regular expression is compiled or run.
 *  3. reason always points at the vocabulary's static string, whoever
 *     decided it, so reports outlive the rules that classified them.
 */
#include "classify-private.h"

#include <string.h>

/* Changes whenever a stored outcome could be classified differently:
 * rules added, removed or reordered, or the decision order changed.  The
 * form is the date of the change and a serial number for that day. */
#define CLASSIFIER_VERSION "2026.12.08.1"

/* Bytes of a diagnostic examined; providers put the cause in the first
 * lines, and a bounded scan keeps hostile input cheap. */
#define CLASSIFY_MAX_TEXT (16u * 1024u)
/* Distinct phrase rules remembered per diagnostic; beyond this the rest
 * are ignored (real diagnostics match a handful). */
#define CLASSIFY_MAX_HITS 64u
/* A lower-case copy this short lives on the stack. */
#define CLASSIFY_STACK_TEXT 1024u
/* Largest local rules file read. */
#define RULES_FILE_MAX_SIZE (16u * 1024u * 1024u)
/* Most rules in one set. */
#define RULES_MAX_RULES 100000u

/* Matcher ids: an anchor's index, a command cue when CUE_BIT is set, a
 * required literal when LITERAL_BIT is set. */
#define CUE_BIT 0x80000000u
#define LITERAL_BIT 0x40000000u
/* Anchor occurrences of one scan kept on the stack; more go to the heap. */
#define SCAN_STACK_CANDIDATES 256u
/* Required literals whose presence bits live on the stack. */
#define SCAN_STACK_LITERALS 8192u
/* Rules whose state during a scan lives on the stack. */
#define SCAN_STACK_RULES 2048u
/* A rule's state during a scan (Facts.rule_state): not tried yet, or the
 * start of its last failed attempt plus one (its required words are
 * present), or done: it holds, or its required words are absent. */
#define RULE_UNTRIED 0u
#define RULE_DONE G_MAXUINT32

/* ---- the vocabulary -------------------------------------------------------- */

typedef struct {
  const char *name;
  gboolean hard;      /* notaccept: only with a 5xx code */
} Reason;

static const Reason vocabulary[] = {
  { "userunknown", TRUE }, { "hostunknown", TRUE }, { "hasmoved", TRUE },
  { "notaccept", TRUE }, { "mailboxfull", FALSE }, { "suspend", FALSE },
  { "exceedlimit", FALSE }, { "mesgtoobig", FALSE }, { "filtered", FALSE },
  { "rejected", FALSE }, { "blocked", FALSE }, { "badreputation", FALSE },
  { "requireptr", FALSE }, { "authfailure", FALSE }, { "norelaying", FALSE },
  { "securityerror", FALSE }, { "failedstarttls", FALSE }, { "speeding", FALSE },
  { "toomanyconn", FALSE }, { "spamdetected", FALSE }, { "virusdetected", FALSE },
  { "contenterror", FALSE }, { "notcompliantrfc", FALSE }, { "policyviolation", FALSE },
  { "syntaxerror", FALSE }, { "systemerror", FALSE }, { "systemfull", FALSE },
  { "networkerror", FALSE }, { "expired", FALSE }, { "mailererror", FALSE },
  { "onhold", FALSE }, { "undefined", FALSE }, { "suppressed", FALSE },
  { "delivered", FALSE }, { "vacation", FALSE }, { "feedback", FALSE },
};

static const Reason *
reason_lookup (const char *name)
{
  if (name == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (vocabulary); i++)
    if (strcmp (vocabulary[i].name, name) == 0)
      return &vocabulary[i];
  return NULL;
}

gboolean
classify_reason_known (const char *reason)
{
  return reason_lookup (reason) != NULL;
}

gboolean
bounce_reason_is_known (const char *reason)
{
  return reason_lookup (reason) != NULL;
}

const char *
bounce_classifier_version (void)
{
  return CLASSIFIER_VERSION;
}

const char classify_permanent[] = "permanent";
const char classify_transient[] = "transient";

/* ---- rule sets ---------------------------------------------------------------- */

/* What one id of a matcher stands for: the rule and the length of the
 * literal found (a phrase's first part, a word pattern's anchor), and for
 * a word pattern the anchor as a literal (an index into the literals). */
typedef struct {
  guint rule;
  guint len;
  guint literal;              /* NO_LITERAL for a phrase rule */
} Anchor;

#define NO_LITERAL G_MAXUINT

/* The text rules of a set, indexed for one scan: the automaton's ids are
 * indexes into @anchors (phrase rules) or, with LITERAL_BIT, into @literals
 * (the words that anchor word patterns and the words they need).
 *
 * A word pattern is tried only at its anchors, only where the anchor
 * matches as the pattern's first term would (a whole word, or a stem's
 * start), and only when the words it needs (classify_pattern_required)
 * occur in the text: the same scan finds the literals of their clauses,
 * and a rule one of whose clauses has none present cannot match anywhere,
 * so it is not tried (most anchors are common words: "mail", "user",
 * "message").  Rule r's clauses are @clauses[@rule_clauses[r] ..
 * @rule_clauses[r + 1]); clause c's literals are
 * @clause_literals[@clauses[c] .. @clauses[c + 1]). */
typedef struct {
  GPtrArray *rules;           /* ClassifyRule*, borrowed from the set */
  GArray *anchors;            /* Anchor */
  ClassifyMatcher *matcher;
  GArray *literals;           /* ClassifyLiteral, distinct, borrowed from the patterns */
  /* The word anchors on literal l: @literal_anchors[@literal_first[l] ..
   * @literal_first[l + 1]), indexes into @anchors in rule order.  The
   * automaton reports a literal once, whatever the number of rules it
   * anchors. */
  guint *literal_first;
  guint *literal_anchors;
  GArray *rule_clauses;       /* guint, one per rule and one more */
  GArray *clauses;            /* guint, one per clause and one more */
  GArray *clause_literals;    /* guint, indexes into @literals */
} RuleIndex;

struct _BounceRules {
  GPtrArray *rules;           /* ClassifyRule*, in load order */
  GStringChunk *strings;
  RuleIndex text;             /* phrase and word rules */
  gboolean builtin;
};

static void
rule_free (gpointer data)
{
  ClassifyRule *rule = data;

  g_strfreev (rule->hosts);
  classify_pattern_free (rule->pattern);
  classify_pattern_free (rule->unless);
  g_free (rule);
}

static void
index_clear (RuleIndex *index)
{
  g_clear_pointer (&index->rules, g_ptr_array_unref);
  g_clear_pointer (&index->anchors, g_array_unref);
  g_clear_pointer (&index->matcher, classify_matcher_free);
  g_clear_pointer (&index->literals, g_array_unref);
  g_clear_pointer (&index->literal_first, g_free);
  g_clear_pointer (&index->literal_anchors, g_free);
  g_clear_pointer (&index->rule_clauses, g_array_unref);
  g_clear_pointer (&index->clauses, g_array_unref);
  g_clear_pointer (&index->clause_literals, g_array_unref);
}

/* Literals are the same when classify_literal_at treats them alike. */
static guint
literal_hash (gconstpointer key)
{
  const ClassifyLiteral *l = key;
  guint h = 5381u + (l->stem ? 1u : 0u) + (l->ideograph ? 2u : 0u);

  for (gsize i = 0; i < l->len; i++)
    h = h * 33u + (guchar) l->text[i];
  return h;
}

static gboolean
literal_equal (gconstpointer a, gconstpointer b)
{
  const ClassifyLiteral *x = a, *y = b;

  return x->len == y->len && x->stem == y->stem && x->ideograph == y->ideograph
         && memcmp (x->text, y->text, x->len) == 0;
}

/* What index_build keeps while it adds one rule after another. */
typedef struct {
  RuleIndex *index;
  GHashTable *ids;            /* ClassifyLiteral* (the patterns') -> literal index + 1 */
  guint rule;
  guint first;                /* the rule's first anchor */
} IndexAdd;

/* The index of @l among the literals, added (and to the automaton, with
 * LITERAL_BIT) when new. */
static guint
literal_id (IndexAdd *add, const ClassifyLiteral *l)
{
  RuleIndex *index = add->index;
  guint id = GPOINTER_TO_UINT (g_hash_table_lookup (add->ids, l));

  if (id == 0)
    {
      g_array_append_val (index->literals, *l);
      id = index->literals->len;
      g_assert (id < LITERAL_BIT);
      g_hash_table_insert (add->ids, (gpointer) l, GUINT_TO_POINTER (id));
      classify_matcher_add (index->matcher, l->text, l->len, LITERAL_BIT | (id - 1));
    }
  return id - 1;
}

/* A phrase rule's anchor: its first part, a matcher id of its own. */
static void
add_phrase_anchor (const char *text, gsize len, IndexAdd *add)
{
  Anchor a = { add->rule, (guint) len, NO_LITERAL };

  classify_matcher_add (add->index->matcher, text, len, add->index->anchors->len);
  g_array_append_val (add->index->anchors, a);
}

static void
add_word_anchor (const ClassifyLiteral *anchor, gpointer user_data)
{
  IndexAdd *add = user_data;
  guint literal = literal_id (add, anchor);

  /* Alternatives that begin alike ("user", "user id", "user name") give
   * one anchor: the pattern is tried at a start once, whichever matches. */
  for (guint i = add->first; i < add->index->anchors->len; i++)
    if (g_array_index (add->index->anchors, Anchor, i).literal == literal)
      return;
  {
    Anchor a = { add->rule, (guint) anchor->len, literal };
    g_array_append_val (add->index->anchors, a);
  }
}

static void
add_clause (const ClassifyLiteral *const *literals, guint n, gpointer user_data)
{
  IndexAdd *add = user_data;
  RuleIndex *index = add->index;

  for (guint i = 0; i < n; i++)
    {
      guint id = literal_id (add, literals[i]);

      g_array_append_val (index->clause_literals, id);
    }
  g_array_append_val (index->clauses, index->clause_literals->len);
}

/* Indexes the rules of @rules that @want accepts; command cues too when
 * @cues. */
static void
index_build (RuleIndex *index, GPtrArray *rules, gboolean (*want) (const ClassifyRule *),
             gboolean cues)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (literal_hash, literal_equal);
  IndexAdd add = { index, ids, 0, 0 };
  guint zero = 0;

  index_clear (index);
  index->rules = g_ptr_array_new ();
  index->anchors = g_array_new (FALSE, FALSE, sizeof (Anchor));
  index->matcher = classify_matcher_new ();
  index->literals = g_array_new (FALSE, FALSE, sizeof (ClassifyLiteral));
  index->rule_clauses = g_array_new (FALSE, FALSE, sizeof (guint));
  index->clauses = g_array_new (FALSE, FALSE, sizeof (guint));
  index->clause_literals = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (index->clauses, zero);
  for (guint i = 0; i < rules->len; i++)
    {
      ClassifyRule *r = g_ptr_array_index (rules, i);
      guint first_clause = index->clauses->len - 1;

      if (!want (r))
        continue;
      add.rule = index->rules->len;
      add.first = index->anchors->len;
      g_ptr_array_add (index->rules, r);
      g_array_append_val (index->rule_clauses, first_clause);
      if (r->kind == CLASSIFY_MATCH_WORDS)
        {
          classify_pattern_anchors (r->pattern, add_word_anchor, &add);
          classify_pattern_required (r->pattern, add_clause, &add);
        }
      else
        add_phrase_anchor (r->parts[0], r->part_len[0], &add);
    }
  /* The anchors of each literal, by counting. */
  {
    guint n = index->literals->len, *fill;

    index->literal_first = g_new0 (guint, n + 1);
    index->literal_anchors = g_new (guint, MAX (index->anchors->len, 1));
    for (guint i = 0; i < index->anchors->len; i++)
      {
        guint l = g_array_index (index->anchors, Anchor, i).literal;
        if (l != NO_LITERAL)
          index->literal_first[l + 1]++;
      }
    for (guint l = 0; l < n; l++)
      index->literal_first[l + 1] += index->literal_first[l];
    fill = g_memdup2 (index->literal_first, (n + 1) * sizeof (guint));
    for (guint i = 0; i < index->anchors->len; i++)
      {
        guint l = g_array_index (index->anchors, Anchor, i).literal;
        if (l != NO_LITERAL)
          index->literal_anchors[fill[l]++] = i;
      }
    g_free (fill);
  }
  {
    guint end = index->clauses->len - 1;
    g_array_append_val (index->rule_clauses, end);
  }
  if (cues)
    for (guint i = 0; i < classify_n_command_cues; i++)
      classify_matcher_add (index->matcher, classify_command_cues[i].phrase,
                            strlen (classify_command_cues[i].phrase), CUE_BIT | i);
  classify_matcher_build (index->matcher);
}

static gboolean
is_text_rule (const ClassifyRule *r)
{
  return (r->kind == CLASSIFY_MATCH_PHRASE || r->kind == CLASSIFY_MATCH_WORDS)
         && r->reason != CLASSIFY_PERMANENT && r->reason != CLASSIFY_TRANSIENT;
}

static gboolean
is_permanence_rule (const ClassifyRule *r)
{
  return r->reason == CLASSIFY_PERMANENT || r->reason == CLASSIFY_TRANSIENT;
}

BounceRules *
bounce_rules_new (void)
{
  BounceRules *rules = g_new0 (BounceRules, 1);

  rules->rules = g_ptr_array_new_with_free_func (rule_free);
  rules->strings = g_string_chunk_new (1024);
  return rules;
}

guint
bounce_rules_count (const BounceRules *rules)
{
  return rules ? rules->rules->len : 0;
}

void
bounce_rules_free (BounceRules *rules)
{
  if (rules == NULL)
    return;
  index_clear (&rules->text);
  g_ptr_array_unref (rules->rules);
  g_string_chunk_free (rules->strings);
  g_free (rules);
}

const ClassifyRule *
classify_local_rule (const BounceRules *rules, guint index)
{
  g_return_val_if_fail (rules != NULL && index < rules->rules->len, NULL);
  return g_ptr_array_index (rules->rules, index);
}

/* ---- reading rules files ---------------------------------------------------- */

/* Splits @rule's phrase at " * " into its parts (pointing into @phrase). */
static gboolean
rule_set_phrase (ClassifyRule *rule, const char *phrase)
{
  const char *p = phrase;

  rule->n_parts = 0;
  rule->phrase_len = 0;
  while (*p != '\0')
    {
      const char *gap = strstr (p, " * ");
      gsize len = gap ? (gsize) (gap - p) : strlen (p);

      if (len == 0 || rule->n_parts == CLASSIFY_MAX_PARTS)
        return FALSE;
      rule->parts[rule->n_parts] = p;
      rule->part_len[rule->n_parts++] = len;
      rule->phrase_len += len;
      p += len;
      if (gap != NULL)
        p += 3;
    }
  return rule->n_parts > 0;
}

static const struct {
  const char *name;
  ClassifyCommand command;
} command_names[] = {
  { "connect", CLASSIFY_COMMAND_CONNECT }, { "helo", CLASSIFY_COMMAND_HELO },
  { "ehlo", CLASSIFY_COMMAND_HELO }, { "mail", CLASSIFY_COMMAND_MAIL },
  { "rcpt", CLASSIFY_COMMAND_RCPT }, { "data", CLASSIFY_COMMAND_DATA },
};

static const struct {
  const char *name;
  guint priority;
} priority_names[] = {
  { "low", CLASSIFY_P_LOW }, { "normal", CLASSIFY_P_NORMAL },
  { "high", CLASSIFY_P_HIGH }, { "provider", CLASSIFY_P_PROVIDER },
};

static const struct {
  const char *name;
  guint flag;
} flag_names[] = {
  { "weak", CLASSIFY_WEAK }, { "word", CLASSIFY_WORD }, { "after-host", CLASSIFY_AFTER_HOST },
  { "lookup", CLASSIFY_LOOKUP }, { "vague", CLASSIFY_VAGUE },
};

/* Flags that order the built-in rules among themselves; local rules apply
 * in file order and may not use them. */
#define BUILTIN_ONLY_FLAGS (CLASSIFY_WEAK | CLASSIFY_LOOKUP | CLASSIFY_VAGUE)

/* Splits one line of a rules file into words: blanks separate words, a
 * word may be double-quoted (then \" and \\ are escapes); a value after
 * "name=" may be quoted too; "#" outside quotes starts a comment.
 * Returns NULL with @why_out set on error. */
static GPtrArray *
split_words (const char *line, const char **why_out)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  const char *p = line;

  for (;;)
    {
      g_autoptr(GString) word = g_string_new (NULL);
      gboolean quoted = FALSE;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0' || *p == '#')
        break;
      while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t')))
        {
          if (*p == '"')
            {
              quoted = !quoted;
              p++;
              continue;
            }
          if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
          g_string_append_c (word, *p++);
        }
      if (quoted)
        {
          *why_out = "unterminated quoted string";
          return NULL;
        }
      g_ptr_array_add (words, g_string_free (g_steal_pointer (&word), FALSE));
    }
  return g_steal_pointer (&words);
}

/* A copy of phrase @s in the normal form of classify-text.c, in @rules'
 * chunk.  A phrase is a substring: blanks at its ends are part of it
 * (" : user unknown"), and stay. */
static const char *
normal_copy (BounceRules *rules, const char *s)
{
  gsize len = strlen (s);
  g_autofree char *norm = g_malloc (2 * len + 3);
  gboolean lead = len > 0 && g_ascii_isspace (s[0]);
  gsize n = classify_text_normalise (s, len, norm + (lead ? 1 : 0));

  if (lead)
    norm[0] = ' ';
  n += lead ? 1 : 0;
  if (len > 0 && g_ascii_isspace (s[len - 1]) && n > 0 && norm[n - 1] != ' ')
    {
      norm[n++] = ' ';
      norm[n] = '\0';
    }
  return g_string_chunk_insert (rules->strings, norm);
}

/* Parses one condition NAME=VALUE into @rule.  Returns NULL or why not. */
static const char *
parse_condition (BounceRules *rules, const char *word, ClassifyRule *rule, char **detail_out)
{
  const char *eq = strchr (word, '=');
  const char *value = eq ? eq + 1 : NULL;
  gsize name_len = eq ? (gsize) (eq - word) : strlen (word);
  const char *why = NULL;

#define IS(lit) (name_len == sizeof (lit) - 1 && strncmp (word, lit, name_len) == 0)
  if (value == NULL || *value == '\0')
    {
      *detail_out = g_strdup (word);
      return "expected a condition NAME=VALUE";
    }
  if (IS ("host"))
    {
      rule->hosts = g_strsplit (value, "|", -1);
      for (guint h = 0; rule->hosts[h] != NULL; h++)
        if (rule->hosts[h][0] == '\0')
          return "empty host suffix";
    }
  else if (IS ("status"))
    {
      if (!classify_code_parse (value, &rule->status))
        {
          *detail_out = g_strdup (value);
          return "invalid status pattern";
        }
      rule->has_status = TRUE;
    }
  else if (IS ("reply"))
    {
      if (!classify_reply_valid (value))
        {
          *detail_out = g_strdup (value);
          return "invalid reply pattern";
        }
      rule->reply_cond = g_string_chunk_insert (rules->strings, value);
    }
  else if (IS ("command"))
    {
      gboolean found = FALSE;
      for (gsize c = 0; c < G_N_ELEMENTS (command_names); c++)
        if (g_ascii_strcasecmp (value, command_names[c].name) == 0)
          {
            rule->command = command_names[c].command;
            found = TRUE;
          }
      if (!found)
        {
          *detail_out = g_strdup (value);
          return "unknown command (expected connect, helo, mail, rcpt or data)";
        }
    }
  else if (IS ("name"))
    {
      for (const char *c = value; *c; c++)
        if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
          {
            *detail_out = g_strdup (value);
            return "a rule name is letters, digits, '-', '_' and '.'";
          }
      rule->name = g_string_chunk_insert (rules->strings, value);
    }
  else if (IS ("unless"))
    {
      rule->unless = classify_pattern_compile (value, &why);
      if (rule->unless == NULL)
        {
          *detail_out = g_strdup (value);
          return why;
        }
    }
  else if (IS ("priority"))
    {
      gboolean found = FALSE;
      if (!rules->builtin)
        return "priority orders the built-in rules; local rules apply in file order";
      for (gsize c = 0; c < G_N_ELEMENTS (priority_names); c++)
        if (strcmp (value, priority_names[c].name) == 0)
          {
            rule->priority = priority_names[c].priority;
            found = TRUE;
          }
      if (!found)
        {
          *detail_out = g_strdup (value);
          return "unknown priority (expected low, normal, high or provider)";
        }
    }
  else if (IS ("flags"))
    {
      g_auto(GStrv) flags = g_strsplit (value, ",", -1);
      for (guint f = 0; flags[f] != NULL; f++)
        {
          gboolean found = FALSE;
          for (gsize c = 0; c < G_N_ELEMENTS (flag_names); c++)
            if (strcmp (flags[f], flag_names[c].name) == 0)
              {
                rule->flags |= flag_names[c].flag;
                found = TRUE;
              }
          if (!found)
            {
              *detail_out = g_strdup (flags[f]);
              return "unknown flag (expected word or after-host)";
            }
        }
      if (!rules->builtin && (rule->flags & BUILTIN_ONLY_FLAGS) != 0)
        return "flags weak, lookup and vague order the built-in rules; local rules apply in file order";
    }
  else
    {
      *detail_out = g_strndup (word, name_len);
      return "unknown condition (expected host, status, reply, command, name or unless)";
    }
#undef IS
  return NULL;
}

/* Parses the words of one rule into @rule.  Returns NULL or why not. */
static const char *
parse_rule (BounceRules *rules, GPtrArray *words, ClassifyRule *rule, char **detail_out)
{
  const char *first, *kind, *pattern, *why = NULL;
  const Reason *reason;

  if (words->len < 3)
    return "expected REASON KIND PATTERN [CONDITION...]";
  first = g_ptr_array_index (words, 0);
  reason = reason_lookup (first);
  if (reason != NULL)
    rule->reason = reason->name;
  else if (rules->builtin && strcmp (first, "permanent") == 0)
    rule->reason = CLASSIFY_PERMANENT;
  else if (rules->builtin && strcmp (first, "transient") == 0)
    rule->reason = CLASSIFY_TRANSIENT;
  else
    {
      *detail_out = g_strdup (first);
      return "unknown reason";
    }
  kind = g_ptr_array_index (words, 1);
  pattern = g_ptr_array_index (words, 2);
  rule->pattern_text = g_string_chunk_insert (rules->strings, pattern);
  if (strcmp (kind, "phrase") == 0)
    {
      rule->kind = CLASSIFY_MATCH_PHRASE;
      /* Empty parts are judged as written: the normal form collapses
       * blanks. */
      if (!rule_set_phrase (rule, pattern) || !rule_set_phrase (rule, normal_copy (rules, pattern)))
        return "empty phrase, or an empty part around \" * \"";
    }
  else if (strcmp (kind, "words") == 0)
    {
      rule->kind = CLASSIFY_MATCH_WORDS;
      rule->pattern = classify_pattern_compile (pattern, &why);
      if (rule->pattern == NULL)
        {
          *detail_out = g_strdup (pattern);
          return why;
        }
    }
  else if (strcmp (kind, "status") == 0)
    {
      rule->kind = CLASSIFY_MATCH_STATUS;
      if (!classify_code_parse (pattern, &rule->code))
        {
          *detail_out = g_strdup (pattern);
          return "invalid status pattern (expected C.S.D, parts a number or x, detail also LO-HI)";
        }
    }
  else if (strcmp (kind, "reply") == 0)
    {
      rule->kind = CLASSIFY_MATCH_REPLY;
      if (!classify_reply_valid (pattern))
        {
          *detail_out = g_strdup (pattern);
          return "invalid reply pattern (expected three characters like 550, 55x, 5xx)";
        }
      rule->reply = rule->pattern_text;
    }
  else
    {
      *detail_out = g_strdup (kind);
      return "unknown match kind (expected words, phrase, status or reply)";
    }
  if ((rule->reason == CLASSIFY_PERMANENT || rule->reason == CLASSIFY_TRANSIENT)
      && rule->kind != CLASSIFY_MATCH_WORDS && rule->kind != CLASSIFY_MATCH_PHRASE)
    return "permanent and transient rules read words (kind words or phrase)";

  rule->priority = CLASSIFY_P_NORMAL;
  for (guint i = 3; i < words->len; i++)
    {
      const char *bad = parse_condition (rules, g_ptr_array_index (words, i), rule, detail_out);
      if (bad != NULL)
        return bad;
    }
  if ((rule->flags & CLASSIFY_VAGUE) != 0 && rule->kind != CLASSIFY_MATCH_STATUS)
    return "flag vague is for status rules";
  if (rule->unless != NULL && rule->kind != CLASSIFY_MATCH_WORDS && rule->kind != CLASSIFY_MATCH_PHRASE)
    return "unless= is for rules that read words";
  if (rules->builtin && rule->name == NULL && rule->kind != CLASSIFY_MATCH_STATUS
      && rule->kind != CLASSIFY_MATCH_REPLY)
    return "a built-in text rule needs a name=";
  return NULL;
}

/* Reads the rules of @contents (@length bytes of the file @path) into
 * @rules: all of them, or none on error. */
static gboolean
rules_read (BounceRules *rules, const char *path, const char *contents, gsize length,
            GError **error_out)
{
  g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func (rule_free);
  const char *file = g_string_chunk_insert_const (rules->strings, path);
  gsize pos = 0;
  guint line_no = 0;
  const char *line;
  gsize line_len;

  if (!g_utf8_validate (contents, (gssize) length, NULL))
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED,
                   "%s: file is not valid UTF-8", path);
      return FALSE;
    }
  /* Editors on some systems start a UTF-8 file with a byte order mark. */
  if (length >= 3 && memcmp (contents, "\xEF\xBB\xBF", 3) == 0)
    pos = 3;

  while (bounce_text_next_line (contents, length, &pos, &line, &line_len))
    {
      g_autofree char *text = g_strndup (line, line_len);
      g_autoptr(GPtrArray) words = NULL;
      g_autofree char *detail = NULL;
      const char *why = NULL;
      ClassifyRule *rule;

      line_no++;
      if (line_len > 0 && text[line_len - 1] == '\r')
        text[line_len - 1] = '\0';
      words = split_words (text, &why);
      if (words != NULL && words->len == 0)
        continue;
      rule = g_new0 (ClassifyRule, 1);
      g_ptr_array_add (loaded, rule);
      if (why == NULL)
        why = parse_rule (rules, words, rule, &detail);
      if (why != NULL)
        {
          if (detail != NULL)
            g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED,
                         "%s:%u: %s: \"%s\"", path, line_no, why, detail);
          else
            g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED,
                         "%s:%u: %s", path, line_no, why);
          return FALSE;
        }
      rule->file = file;
      rule->line = line_no;
      {
        /* The conditions as written, for bounced rules --list. */
        GString *rest = g_string_new (NULL);
        for (guint i = 3; i < words->len; i++)
          g_string_append_printf (rest, "%s%s", i > 3 ? " " : "",
                                  (const char *) g_ptr_array_index (words, i));
        rule->conditions_text = rest->len ? g_string_chunk_insert (rules->strings, rest->str) : NULL;
        g_string_free (rest, TRUE);
      }
      if (rules->rules->len + loaded->len > RULES_MAX_RULES)
        {
          g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED,
                       "%s:%u: more than %u rules", path, line_no, RULES_MAX_RULES);
          return FALSE;
        }
    }

  for (guint i = 0; i < loaded->len; i++)
    {
      ClassifyRule *r = g_ptr_array_index (loaded, i);
      r->seq = rules->rules->len;
      g_ptr_array_add (rules->rules, r);
    }
  g_ptr_array_set_free_func (loaded, NULL);
  return TRUE;
}

gboolean
bounce_rules_load (BounceRules *rules, const char *path, GError **error_out)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_return_val_if_fail (rules != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error_out == NULL || *error_out == NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_set_error (error_out, G_FILE_ERROR, error->code,
                   "could not read rules file \"%s\": %s", path, error->message);
      return FALSE;
    }
  if (length > RULES_FILE_MAX_SIZE)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED,
                   "%s: file is larger than %u bytes", path, RULES_FILE_MAX_SIZE);
      return FALSE;
    }
  if (!rules_read (rules, path, contents, length, error_out))
    return FALSE;
  index_build (&rules->text, rules->rules, is_text_rule, FALSE);
  return TRUE;
}

/* ---- the built-in rules ------------------------------------------------------ */

typedef struct {
  BounceRules *set;           /* every rule of the embedded files */
  RuleIndex text;             /* text rules and command cues */
  RuleIndex permanence;       /* a notice's words of permanence */
  GPtrArray *codes;           /* status rules */
  GPtrArray *replies;         /* reply rules */
  ClassifyCodePattern *refine_status;
  ClassifyCodePattern *refine_status_not;
  char ***refine_hosts;
} Builtin;

static gpointer
builtin_build (gpointer unused)
{
  Builtin *b = g_new0 (Builtin, 1);

  b->set = bounce_rules_new ();
  b->set->builtin = TRUE;
  for (guint i = 0; i < classify_n_builtin_files; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = g_strconcat ("rules/", classify_builtin_files[i].name, NULL);
      const char *text = classify_builtin_files[i].text;

      /* The files are part of the program: tests/test-classify.c proves
       * they read. */
      if (!rules_read (b->set, path, text, strlen (text), &error))
        g_error ("built-in rules: %s", error->message);
    }
  index_build (&b->text, b->set->rules, is_text_rule, TRUE);
  index_build (&b->permanence, b->set->rules, is_permanence_rule, FALSE);
  b->codes = g_ptr_array_new ();
  b->replies = g_ptr_array_new ();
  for (guint i = 0; i < b->set->rules->len; i++)
    {
      ClassifyRule *r = g_ptr_array_index (b->set->rules, i);
      if (r->kind == CLASSIFY_MATCH_STATUS)
        g_ptr_array_add (b->codes, r);
      else if (r->kind == CLASSIFY_MATCH_REPLY)
        g_ptr_array_add (b->replies, r);
    }
  b->refine_status = g_new0 (ClassifyCodePattern, classify_n_refinements);
  b->refine_status_not = g_new0 (ClassifyCodePattern, classify_n_refinements);
  b->refine_hosts = g_new0 (char **, classify_n_refinements);
  for (guint i = 0; i < classify_n_refinements; i++)
    {
      if (classify_refinements[i].status != NULL)
        classify_code_parse (classify_refinements[i].status, &b->refine_status[i]);
      if (classify_refinements[i].status_not != NULL)
        classify_code_parse (classify_refinements[i].status_not, &b->refine_status_not[i]);
      if (classify_refinements[i].host != NULL)
        b->refine_hosts[i] = g_strsplit (classify_refinements[i].host, "|", -1);
    }
  return b;
}

static const Builtin *
builtin (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, builtin_build, NULL);
}

guint
classify_builtin_rule_count (void)
{
  return builtin ()->set->rules->len;
}

const ClassifyRule *
classify_builtin_rule (guint index)
{
  const Builtin *b = builtin ();

  g_return_val_if_fail (index < b->set->rules->len, NULL);
  return g_ptr_array_index (b->set->rules, index);
}

/* ---- what the classifier knows of a recipient ------------------------------ */

typedef struct {
  const ClassifyRule *rule;
  gsize start;
  gsize end;
} Hit;

/* A report's recipients repeat their texts: one diagnostic for each of
 * them, the notice's paragraph for each.  A text scans to the same hits and
 * command cue whoever it belongs to, so classify_report remembers the last
 * SCAN_MEMO_SLOTS scans (the diagnostic's and the notice's) for the next
 * recipient. */
#define SCAN_MEMO_SLOTS 2u

typedef struct {
  const RuleIndex *index;
  char *text;                /* a copy, or NULL */
  gsize len;
  ClassifyCommand cue;       /* the first cue's command, or ANY */
  guint n_hits;
  Hit hits[CLASSIFY_MAX_HITS];
  guint64 used;              /* the least recently used slot is replaced */
} ScanMemoSlot;

typedef struct {
  ScanMemoSlot slots[SCAN_MEMO_SLOTS];
  guint64 clock;
} ScanMemo;

typedef struct {
  BounceReport *report;
  BounceRecipient *rcpt;
  ScanMemo *memo;            /* nullable */
  const char *text;          /* normalised diagnostic, or "" */
  gsize len;
  const char *domain;        /* of the recipient, or NULL */
  /* filled by a scan */
  const RuleIndex *index;
  const guint64 *present;    /* bits of index->literals, during a scan */
  guint32 *rule_state;       /* per rule of the index, during a scan */
  gboolean plain;            /* for the tests: every anchor tried, nothing skipped */
  Hit hits[CLASSIFY_MAX_HITS];
  guint n_hits;
  ClassifyCommand command;
} Facts;

static gboolean
is_word_byte (char c)
{
  return g_ascii_isalnum (c) || (guchar) c >= 0x80;
}

/* Whether a host name ends just before @start, after one space: a word of
 * letters, digits, '-' and '.', with a dot inside, ending in a letter
 * (a top-level label), not the domain of a mail address. */
static gboolean
host_before (const char *text, gsize start)
{
  gsize end, i;

  if (start < 2 || text[start - 1] != ' ')
    return FALSE;
  end = start - 1;
  i = end;
  while (i > 0 && (g_ascii_isalnum (text[i - 1]) || text[i - 1] == '-' || text[i - 1] == '.'))
    i--;
  if (i == end || text[i] == '.' || !g_ascii_isalpha (text[end - 1])
      || memchr (text + i, '.', end - i) == NULL)
    return FALSE;
  return i == 0 || (text[i - 1] != '@' && !is_word_byte (text[i - 1]));
}

/* Whether @rule's phrase occurs with its part 0 at [@start, @end): the
 * word boundaries hold and the later parts follow in order. */
static gboolean
phrase_verify (const Facts *f, const ClassifyRule *rule, gsize start, gsize end)
{
  gsize pos = end;

  if ((rule->flags & CLASSIFY_WORD) != 0
      && ((start > 0 && is_word_byte (f->text[start - 1]))
          || (end < f->len && is_word_byte (f->text[end]))))
    return FALSE;
  for (guint k = 1; k < rule->n_parts; k++)
    {
      const char *found = memmem (f->text + pos, f->len - pos, rule->parts[k], rule->part_len[k]);
      gsize found_at;

      if (found == NULL)
        return FALSE;
      found_at = (gsize) (found - f->text);
      if ((rule->flags & CLASSIFY_WORD) != 0 && k == rule->n_parts - 1
          && found_at + rule->part_len[k] < f->len
          && is_word_byte (f->text[found_at + rule->part_len[k]]))
        return FALSE;
      pos = found_at + rule->part_len[k];
    }
  return TRUE;
}

/* Whether every clause of the @rule-th rule of the index has a literal
 * present in the text. */
static gboolean
required_present (const Facts *f, guint rule)
{
  const RuleIndex *index = f->index;
  const guint *rule_clauses = (const guint *) (gpointer) index->rule_clauses->data;
  const guint *clauses = (const guint *) (gpointer) index->clauses->data;
  const guint *lits = (const guint *) (gpointer) index->clause_literals->data;

  for (guint c = rule_clauses[rule]; c < rule_clauses[rule + 1]; c++)
    {
      gboolean any = FALSE;

      for (guint k = clauses[c]; k < clauses[c + 1] && !any; k++)
        any = (f->present[lits[k] / 64] >> (lits[k] % 64)) & 1;
      if (!any)
        return FALSE;
    }
  return TRUE;
}

/* An anchor of a rule ends at @end: whether the rule holds there. */
static void
try_anchor (Facts *f, guint id, gsize end)
{
  const Anchor *anchor = &g_array_index (f->index->anchors, Anchor, id);
  guint32 *state = &f->rule_state[anchor->rule];
  const ClassifyRule *rule;
  gsize start = end - anchor->len, match_end = end;

  /* A rule is kept once; a pattern fails at a start whichever anchor
   * brought it there. */
  if (*state == RULE_DONE || (*state == start + 1 && !f->plain) || f->n_hits == CLASSIFY_MAX_HITS)
    return;
  rule = g_ptr_array_index (f->index->rules, anchor->rule);
  if ((rule->flags & CLASSIFY_AFTER_HOST) != 0 && !host_before (f->text, start))
    return;
  if (rule->kind == CLASSIFY_MATCH_WORDS)
    {
      if (*state == RULE_UNTRIED && !f->plain && !required_present (f, anchor->rule))
        {
          *state = RULE_DONE;
          return;
        }
      if (!classify_pattern_match_at (rule->pattern, f->text, f->len, start, &match_end))
        {
          *state = (guint32) start + 1;
          return;
        }
    }
  else if (!phrase_verify (f, rule, start, end))
    return;
  *state = RULE_DONE;
  f->hits[f->n_hits++] = (Hit) { rule, start, match_end };
}

typedef struct {
  guint id;
  gsize end;
} Candidate;

/* One scan: the anchors found, in the automaton's order, and the required
 * literals present. */
typedef struct {
  Facts *facts;
  guint64 *present;
  Candidate stack[SCAN_STACK_CANDIDATES];
  guint n_stack;
  GArray *more;               /* Candidate, once the stack is full */
  ClassifyCommand first_cue;
} Scan;

static void
push (Scan *sc, guint id, gsize end)
{
  if (sc->n_stack < SCAN_STACK_CANDIDATES)
    sc->stack[sc->n_stack++] = (Candidate) { id, end };
  else
    {
      Candidate c = { id, end };

      if (sc->more == NULL)
        sc->more = g_array_new (FALSE, FALSE, sizeof (Candidate));
      g_array_append_val (sc->more, c);
    }
}

static gboolean
on_occurrence (guint id, gsize end, gpointer user_data)
{
  Scan *sc = user_data;
  Facts *f = sc->facts;

  if ((id & CUE_BIT) != 0)
    {
      const ClassifyCommandCue *cue = &classify_command_cues[id & ~CUE_BIT];
      /* The first cue in the text names the command the reply answered;
       * later ones are usually quoted transcript lines. */
      if (sc->first_cue == CLASSIFY_COMMAND_ANY)
        sc->first_cue = cue->command;
    }
  else if ((id & LITERAL_BIT) != 0)
    {
      const RuleIndex *index = f->index;
      guint l = id & ~LITERAL_BIT;
      gboolean anchors = index->literal_first[l] != index->literal_first[l + 1];
      gboolean known = (sc->present[l / 64] >> (l % 64)) & 1;
      const ClassifyLiteral *literal;

      if (!anchors && known)
        return TRUE;
      literal = &g_array_index (index->literals, ClassifyLiteral, l);
      /* A match begins with one of its anchors matching as a term, and
       * needs a literal of each clause to match as one. */
      if (classify_literal_at (literal, f->text, f->len, end - literal->len, NULL))
        {
          sc->present[l / 64] |= G_GUINT64_CONSTANT (1) << (l % 64);
          if (anchors)
            push (sc, id, end);
        }
      else if (anchors && f->plain)
        push (sc, id, end);
    }
  else
    push (sc, id, end);
  return TRUE;
}

/* Tries the rules of candidate @c. */
static void
try_candidate (Facts *f, const Candidate *c)
{
  const RuleIndex *index = f->index;

  if ((c->id & LITERAL_BIT) == 0)
    {
      try_anchor (f, c->id, c->end);
      return;
    }
  {
    guint l = c->id & ~LITERAL_BIT;

    for (guint k = index->literal_first[l]; k < index->literal_first[l + 1]; k++)
      try_anchor (f, index->literal_anchors[k], c->end);
  }
}

/* Finds the text rules of @index that hold in @f's text (f->hits) and the
 * command cues; rules are tried at their anchors in the order the
 * automaton reports them, once the whole text is scanned. */
static void
scan (Facts *f, const RuleIndex *index)
{
  guint64 stack_bits[SCAN_STACK_LITERALS / 64];
  g_autofree guint64 *heap_bits = NULL;
  guint32 stack_states[SCAN_STACK_RULES];
  g_autofree guint32 *heap_states = NULL;
  guint words;
  Scan sc = { .facts = f };

  f->index = index;
  f->n_hits = 0;
  if (index->matcher == NULL || f->len == 0)
    return;
  if (f->memo != NULL && !f->plain)
    for (guint i = 0; i < SCAN_MEMO_SLOTS; i++)
      {
        ScanMemoSlot *m = &f->memo->slots[i];

        if (m->index == index && m->len == f->len && memcmp (m->text, f->text, f->len) == 0)
          {
            memcpy (f->hits, m->hits, m->n_hits * sizeof (Hit));
            f->n_hits = m->n_hits;
            if (f->command == CLASSIFY_COMMAND_ANY)
              f->command = m->cue;
            m->used = ++f->memo->clock;
            return;
          }
      }
  words = (index->literals->len + 63) / 64;
  if (words <= G_N_ELEMENTS (stack_bits))
    {
      sc.present = stack_bits;
      memset (stack_bits, 0, words * sizeof (guint64));
    }
  else
    sc.present = heap_bits = g_new0 (guint64, words);
  f->present = sc.present;
  if (index->rules->len <= G_N_ELEMENTS (stack_states))
    {
      f->rule_state = stack_states;
      memset (stack_states, 0, index->rules->len * sizeof (guint32));
    }
  else
    f->rule_state = heap_states = g_new0 (guint32, index->rules->len);
  classify_matcher_scan (index->matcher, f->text, f->len, on_occurrence, &sc);
  for (guint i = 0; i < sc.n_stack; i++)
    try_candidate (f, &sc.stack[i]);
  if (sc.more != NULL)
    {
      for (guint i = 0; i < sc.more->len; i++)
        try_candidate (f, &g_array_index (sc.more, Candidate, i));
      g_array_unref (sc.more);
    }
  f->present = NULL;
  f->rule_state = NULL;
  /* The first cue in the text names the command the reply answered;
   * later ones are usually quoted transcript lines. */
  if (f->command == CLASSIFY_COMMAND_ANY)
    f->command = sc.first_cue;
  if (f->memo != NULL && !f->plain)
    {
      ScanMemoSlot *m = &f->memo->slots[0];

      for (guint i = 1; i < SCAN_MEMO_SLOTS; i++)
        if (f->memo->slots[i].used < m->used)
          m = &f->memo->slots[i];
      g_free (m->text);
      m->index = index;
      m->text = g_memdup2 (f->text, f->len);
      m->len = f->len;
      m->cue = sc.first_cue;
      m->n_hits = f->n_hits;
      memcpy (m->hits, f->hits, f->n_hits * sizeof (Hit));
      m->used = ++f->memo->clock;
    }
}

/* How specific a hit is: a phrase's own length, a word pattern's match. */
static gsize
hit_length (const Hit *hit)
{
  return hit->rule->kind == CLASSIFY_MATCH_PHRASE ? hit->rule->phrase_len : hit->end - hit->start;
}

/* Whether @host is @suffix or ends with "." @suffix, ignoring case. */
static gboolean
host_has_suffix (const char *host, const char *suffix)
{
  gsize hl, sl;

  if (host == NULL)
    return FALSE;
  hl = strlen (host);
  sl = strlen (suffix);
  if (sl == 0 || hl < sl || g_ascii_strcasecmp (host + hl - sl, suffix) != 0)
    return FALSE;
  return hl == sl || host[hl - sl - 1] == '.';
}

static gboolean
hosts_match (const Facts *f, char **hosts)
{
  if (hosts == NULL)
    return TRUE;
  for (guint i = 0; hosts[i] != NULL; i++)
    if (host_has_suffix (f->rcpt->remote_mta, hosts[i])
        || host_has_suffix (f->report->reporting_mta, hosts[i])
        || host_has_suffix (f->domain, hosts[i]))
      return TRUE;
  return FALSE;
}

/* Whether the conditions of @rule other than its match hold. */
static gboolean
conditions_hold (const Facts *f, const ClassifyRule *rule)
{
  gsize s, e;

  if (rule->has_status && !classify_code_match (&rule->status, f->rcpt->status))
    return FALSE;
  if (rule->reply_cond != NULL && !classify_reply_match (rule->reply_cond, f->rcpt->reply_code))
    return FALSE;
  if (rule->command != CLASSIFY_COMMAND_ANY && rule->command != f->command)
    return FALSE;
  if (!hosts_match (f, rule->hosts))
    return FALSE;
  return rule->unless == NULL || !classify_pattern_search (rule->unless, f->text, f->len, &s, &e);
}

/* The best text rule hit, strong or weak, whose conditions hold. */
static const ClassifyRule *
best_hit (const Facts *f, gboolean weak)
{
  const Hit *best = NULL;

  for (guint i = 0; i < f->n_hits; i++)
    {
      const Hit *h = &f->hits[i];
      const ClassifyRule *r = h->rule;

      if (((r->flags & CLASSIFY_WEAK) != 0) != weak || !conditions_hold (f, r))
        continue;
      if (best == NULL || r->priority > best->rule->priority
          || (r->priority == best->rule->priority
              && (hit_length (h) > hit_length (best)
                  || (hit_length (h) == hit_length (best) && r->seq < best->rule->seq))))
        best = h;
    }
  return best ? best->rule : NULL;
}

/* The first local rule, in load order, that holds; or NULL. */
static const ClassifyRule *
local_decide (Facts *f, const BounceRules *rules)
{
  const ClassifyRule *first = NULL;
  guint first_at = G_MAXUINT;

  if (rules == NULL || rules->rules->len == 0)
    return NULL;
  scan (f, &rules->text);
  for (guint i = 0; i < f->n_hits; i++)
    if (f->hits[i].rule->seq < first_at && conditions_hold (f, f->hits[i].rule))
      {
        first = f->hits[i].rule;
        first_at = first->seq;
      }
  for (guint i = 0; i < rules->rules->len && i < first_at; i++)
    {
      const ClassifyRule *r = g_ptr_array_index (rules->rules, i);

      if ((r->kind == CLASSIFY_MATCH_STATUS && classify_code_match (&r->code, f->rcpt->status))
          || (r->kind == CLASSIFY_MATCH_REPLY && classify_reply_match (r->reply, f->rcpt->reply_code)))
        if (conditions_hold (f, r))
          return r;
    }
  return first;
}

/* ---- the decision ----------------------------------------------------------- */

static const char *
refine (const Facts *f, const ClassifyRule *rule, const char **name_out)
{
  const char *reason = rule->reason;
  const Builtin *b = builtin ();

  *name_out = NULL;
  for (guint i = 0; i < classify_n_refinements; i++)
    {
      const ClassifyRefinement *x = &classify_refinements[i];

      if (strcmp (x->from, reason) != 0 || (x->rule != NULL && strcmp (x->rule, rule->name) != 0))
        continue;
      if (x->command != CLASSIFY_COMMAND_ANY && x->command != f->command)
        continue;
      if (x->no_command && f->command != CLASSIFY_COMMAND_ANY)
        continue;
      if (x->status != NULL && !classify_code_match (&b->refine_status[i], f->rcpt->status))
        continue;
      if (x->status_not != NULL && classify_code_match (&b->refine_status_not[i], f->rcpt->status))
        continue;
      if (x->with_reply && f->rcpt->reply_code == NULL)
        continue;
      if (x->lookup && (rule->flags & CLASSIFY_LOOKUP) == 0)
        continue;
      if (x->host != NULL && !hosts_match (f, b->refine_hosts[i]))
        continue;
      if (x->failed && g_strcmp0 (f->rcpt->action, "failed") != 0)
        continue;
      if (x->below_provider && rule->priority >= CLASSIFY_P_PROVIDER)
        continue;
      *name_out = x->name;
      return reason_lookup (x->to)->name;
    }
  return reason;
}

/* The best status rule for @status, vague or not; or NULL.  The most
 * specific pattern wins, then the first row. */
static const ClassifyRule *
code_decide (const char *status, gboolean vague)
{
  const Builtin *b = builtin ();
  ClassifyCode code;
  const ClassifyRule *best = NULL;
  int best_score = -1;

  if (!classify_code_split (status, &code))
    return NULL;
  for (guint i = 0; i < b->codes->len; i++)
    {
      const ClassifyRule *r = g_ptr_array_index (b->codes, i);

      if (((r->flags & CLASSIFY_VAGUE) != 0) == vague && classify_code_match_split (&r->code, &code))
        {
          int score = classify_code_specificity (&r->code);
          if (score > best_score)
            {
              best = r;
              best_score = score;
            }
        }
    }
  return best;
}

static const ClassifyRule *
reply_decide (const char *reply)
{
  const Builtin *b = builtin ();

  for (guint i = 0; i < b->replies->len; i++)
    {
      const ClassifyRule *r = g_ptr_array_index (b->replies, i);
      if (classify_reply_match (r->reply, reply))
        return r;
    }
  return NULL;
}

static gboolean
is_permanent (const BounceRecipient *r)
{
  if (r->status != NULL)
    return r->status[0] == '5';
  if (r->reply_code != NULL)
    return r->reply_code[0] == '5';
  return g_strcmp0 (r->action, "failed") == 0;
}

static gboolean
is_hard (const char *reason, const BounceRecipient *r)
{
  const Reason *known = reason_lookup (reason);

  if (known == NULL || !known->hard || g_strcmp0 (r->action, "delayed") == 0)
    return FALSE;
  /* A transient class (RFC 3463 2, RFC 5321 4.2.1: 4yz) says the failure
   * may pass: nothing is shown dead yet. */
  if ((r->status != NULL && r->status[0] == '4')
      || (r->status == NULL && r->reply_code != NULL && r->reply_code[0] == '4'))
    return FALSE;
  /* RFC 7504/7505: a null MX or "does not accept mail" is final only as a
   * permanent reply; a transient one may be a passing state. */
  if (strcmp (reason, "notaccept") == 0)
    return is_permanent (r);
  return TRUE;
}

/* The command of BounceRecipient.command ("RCPT"), or ANY. */
static ClassifyCommand
command_named (const char *name)
{
  static const struct {
    const char *name;
    ClassifyCommand command;
  } names[] = {
    { "CONNECT", CLASSIFY_COMMAND_CONNECT }, { "EHLO", CLASSIFY_COMMAND_HELO },
    { "HELO", CLASSIFY_COMMAND_HELO }, { "MAIL", CLASSIFY_COMMAND_MAIL },
    { "RCPT", CLASSIFY_COMMAND_RCPT }, { "DATA", CLASSIFY_COMMAND_DATA },
  };

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (names[i].name, name) == 0)
      return names[i].command;
  return CLASSIFY_COMMAND_ANY;
}

/* The normal form of @text (invariant 2) in @stack when it fits, else in
 * *@heap; "" for NULL.  *@len_out gets its length. */
static const char *
lower_copy (const char *text, char *stack, gsize stack_size, char **heap, gsize *len_out)
{
  gsize len;
  char *lower;

  *len_out = 0;
  if (text == NULL)
    return "";
  len = MIN (strlen (text), CLASSIFY_MAX_TEXT);
  lower = 2 * len + 1 <= stack_size ? stack : (*heap = g_malloc (2 * len + 1));
  *len_out = classify_text_normalise (text, len, lower);
  return lower;
}

/* The reason the enhanced status code alone gives, specific or a family's;
 * or NULL. */
static const char *
code_reason (const char *status)
{
  const ClassifyRule *code = code_decide (status, FALSE);

  if (code == NULL)
    code = code_decide (status, TRUE);
  return code ? code->reason : NULL;
}

/* Whether what the report itself says of the recipient (BounceRecipient
 * .notice: a Status comment, a provider's explanation) decides instead of
 * the server's answer, whose best rule is
 * @hit (or NULL).  The server's answer is the primary evidence; the
 * report's words decide only through a rule that names a cause
 * (CLASSIFY_P_HIGH or a provider's wording), of a higher class than @hit,
 * and not against the enhanced status code: "550 5.2.1 User Unknown"
 * under "Status: 5.2.1 (mailbox disabled, not accepting messages)" is a
 * disabled mailbox; "over quota" beside "550 5.1.1 User Unknown" is not
 * this recipient's cause. */
static const ClassifyRule *
notice_decides (const Facts *diag, const ClassifyRule *hit)
{
  const Builtin *b = builtin ();
  char stack[CLASSIFY_STACK_TEXT];
  g_autofree char *heap = NULL;
  Facts f = *diag;
  const ClassifyRule *said;
  const char *code;

  f.text = lower_copy (diag->rcpt->notice, stack, sizeof stack, &heap, &f.len);
  scan (&f, &b->text);
  /* The command is the one the server's answer was given to. */
  f.command = diag->command;
  said = best_hit (&f, FALSE);
  if (said == NULL || said->priority < CLASSIFY_P_HIGH
      || (hit != NULL && said->priority <= hit->priority))
    return NULL;
  code = code_reason (diag->rcpt->status);
  if (code != NULL && strcmp (code, said->reason) != 0)
    return NULL;
  return said;
}

/* Evidence longer than this is cut (local rules name a file path). */
#define EVIDENCE_MAX 512

#define SET(reason_, ...) \
  G_STMT_START { \
    char ev_[EVIDENCE_MAX]; \
    g_snprintf (ev_, sizeof ev_, __VA_ARGS__); \
    r->reason = (reason_); \
    r->evidence = bounce_report_str (report, ev_); \
  } G_STMT_END

/* Where @rule is written: "FILE:LINE". */
static const char *
rule_where (BounceReport *report, const ClassifyRule *rule)
{
  char where[EVIDENCE_MAX];

  g_snprintf (where, sizeof where, "%s:%u", rule->file, rule->line);
  return bounce_report_str (report, where);
}

/* Sets @r's reason from a phrase rule found in the @source text
 * ("diagnostic", "notice"), refined by the command and status. */
static void
set_by_rule (BounceReport *report, BounceRecipient *r, const Facts *f, const ClassifyRule *rule,
             const char *source)
{
  const char *refinement;
  const char *reason = refine (f, rule, &refinement);

  if (refinement != NULL)
    SET (reason, "%s:%s/%s", source, rule->name, refinement);
  else
    SET (reason, "%s:%s", source, rule->name);
  r->rule_where = rule_where (report, rule);
}

/* Gives a failed or delayed recipient without a status one of ours
 * (BounceRecipient.status_source): its class from the server's reply code,
 * else the notice (its Action as a recogniser read it from the notice's
 * layout, or its words of permanence), else the reason; its subject and
 * detail are the reason's registered code.  A recipient with neither
 * Action nor anything else failed by default: legacy notices return mail
 * that was not delivered. */
static void
infer_status (BounceReport *report, BounceRecipient *r)
{
  char cls = 0;
  const char *source = NULL;
  guint subject = 0, detail = 0;
  char code[16];

  r->status_source = NULL;
  if (r->status != NULL || strcmp (r->reason, "delivered") == 0
      || strcmp (r->reason, "vacation") == 0 || strcmp (r->reason, "feedback") == 0)
    return;
  if (r->reply_code != NULL && (r->reply_code[0] == '4' || r->reply_code[0] == '5'))
    {
      cls = r->reply_code[0];
      source = "reply-code";
    }
  else if (g_strcmp0 (r->action, "delayed") == 0)
    {
      cls = '4';
      source = "notice";
    }
  else if (report->notice_class != 0)
    {
      cls = report->notice_class;
      source = "notice";
    }
  else if (report->kind == BOUNCE_KIND_DSN && g_strcmp0 (r->action, "failed") == 0)
    {
      /* RFC 3464 2.3.3: "failed" means the MTA gave up. */
      cls = '5';
      source = "notice";
    }
  else
    {
      cls = '5';
      source = "reason";
    }
  for (guint i = 0; i < classify_n_reason_codes; i++)
    if (strcmp (classify_reason_codes[i].reason, r->reason) == 0)
      {
        subject = classify_reason_codes[i].subject;
        detail = classify_reason_codes[i].detail;
        break;
      }
  g_snprintf (code, sizeof code, "%c.%u.%u", cls, subject, detail);
  r->status = bounce_report_str (report, code);
  r->status_source = source;
}

void
classify_notice_permanence (BounceReport *report, const char *subject, const char *text,
                            gsize len)
{
  const Builtin *b = builtin ();
  const char *parts[2] = { subject, text };
  gsize lens[2] = { subject ? strlen (subject) : 0, text ? len : 0 };
  const ClassifyRule *best = NULL;

  g_return_if_fail (report != NULL);
  report->notice_class = 0;
  for (guint k = 0; k < 2; k++)
    {
      char stack[CLASSIFY_STACK_TEXT];
      g_autofree char *heap = NULL;
      gsize n = MIN (lens[k], CLASSIFY_MAX_TEXT);
      char *norm = 2 * n + 1 <= sizeof stack ? stack : (heap = g_malloc (2 * n + 1));
      BounceRecipient none = { 0 };
      Facts f = { .report = report, .rcpt = &none };

      if (n == 0)
        continue;
      f.len = classify_text_normalise (parts[k], n, norm);
      f.text = norm;
      scan (&f, &b->permanence);
      for (guint i = 0; i < f.n_hits; i++)
        {
          const ClassifyRule *h = f.hits[i].rule;
          if (!conditions_hold (&f, h))
            continue;
          /* The highest priority; a tie goes to transient (rules file). */
          if (best == NULL || h->priority > best->priority
              || (h->priority == best->priority && h->reason == CLASSIFY_TRANSIENT
                  && best->reason != CLASSIFY_TRANSIENT))
            best = h;
        }
    }
  if (best != NULL)
    report->notice_class = best->reason == CLASSIFY_TRANSIENT ? '4' : '5';

}

static void
classify_recipient (BounceReport *report, BounceRecipient *r, const BounceRules *rules,
                    ScanMemo *memo)
{
  const Builtin *b = builtin ();
  char stack[CLASSIFY_STACK_TEXT];
  g_autofree char *heap = NULL;
  Facts f = { .report = report, .rcpt = r, .memo = memo };
  const ClassifyRule *hit, *code;
  const char *at;

  r->reason = NULL;
  r->evidence = NULL;
  r->rule_where = NULL;
  /* A status we inferred before is not evidence (classified again). */
  if (r->status_source != NULL)
    {
      r->status = NULL;
      r->status_source = NULL;
    }

  /* 1. The kind of message. */
  if (report->kind == BOUNCE_KIND_AUTO_REPLY)
    {
      SET ("vacation", "kind:auto-reply");
      goto done;
    }
  if (report->kind == BOUNCE_KIND_FEEDBACK)
    {
      SET ("feedback", "kind:feedback");
      goto done;
    }

  /* 2. Success: nothing failed, whatever the text says. */
  if (r->action != NULL && (strcmp (r->action, "delivered") == 0 || strcmp (r->action, "relayed") == 0
                            || strcmp (r->action, "expanded") == 0))
    {
      SET ("delivered", "action:%s", r->action);
      goto done;
    }
  if (r->status != NULL && r->status[0] == '2')
    {
      SET ("delivered", "status:%s", r->status);
      goto done;
    }

  /* Invariant 2: one lower-case copy. */
  f.text = lower_copy (r->diagnostic, stack, sizeof stack, &heap, &f.len);
  at = r->recipient ? strrchr (r->recipient, '@') : NULL;
  f.domain = at ? at + 1 : NULL;

  /* The command cues come with the built-in scan; local rules with a
   * command condition need them first. */
  scan (&f, &b->text);
  /* The diagnostic's own words first: a notice's paragraph may sum up
   * several replies.  Otherwise what the notice said the reply answered. */
  if (f.command == CLASSIFY_COMMAND_ANY)
    f.command = command_named (r->command);

  /* 3. Local rules. */
  if (rules != NULL && rules->rules->len > 0)
    {
      Facts local = f;
      const ClassifyRule *l = local_decide (&local, rules);

      if (l != NULL)
        {
          if (l->name != NULL)
            SET (l->reason, "local:%s", l->name);
          else
            SET (l->reason, "local:%s:%u", l->file, l->line);
          r->rule_where = rule_where (report, l);
          goto done;
        }
    }

  /* 4. The diagnostic text, and Diagnostic-Code types. */
  hit = best_hit (&f, FALSE);
  if (r->notice != NULL)
    {
      const ClassifyRule *said = notice_decides (&f, hit);
      if (said != NULL)
        {
          set_by_rule (report, r, &f, said, "notice");
          goto done;
        }
    }
  if (r->diagnostic_type != NULL)
    for (guint i = 0; i < classify_n_type_rules; i++)
      {
        const ClassifyTypeRule *t = &classify_type_rules[i];
        gboolean keep = FALSE;

        if (g_ascii_strcasecmp (t->type, r->diagnostic_type) != 0)
          continue;
        for (guint k = 0; hit != NULL && k < G_N_ELEMENTS (t->keep) && t->keep[k]; k++)
          keep |= strcmp (t->keep[k], hit->reason) == 0;
        if (!keep)
          {
            SET (reason_lookup (t->reason)->name, "diagnostic-type:%s", t->type);
            goto done;
          }
      }
  if (hit != NULL)
    {
      set_by_rule (report, r, &f, hit, "diagnostic");
      goto done;
    }

  /* 5. The notice's format. */
  if (report->format != NULL)
    for (guint i = 0; i < classify_n_format_rules; i++)
      if (strcmp (classify_format_rules[i].format, report->format) == 0)
        {
          SET (reason_lookup (classify_format_rules[i].reason)->name, "format:%s", report->format);
          goto done;
        }

  /* 6. The enhanced status code. */
  if ((code = code_decide (r->status, FALSE)) != NULL)
    {
      SET (code->reason, "status:%s", r->status);
      r->rule_where = rule_where (report, code);
      goto done;
    }

  /* 7. General wording. */
  if ((hit = best_hit (&f, TRUE)) != NULL)
    {
      set_by_rule (report, r, &f, hit, "diagnostic");
      goto done;
    }

  /* 8. The command answered: at the greeting or HELO nothing but the
   * client is known (RFC 5321 4.3.1); at MAIL FROM, the sender. */
  if (f.command == CLASSIFY_COMMAND_CONNECT || f.command == CLASSIFY_COMMAND_HELO)
    {
      SET ("blocked", "command:%s", f.command == CLASSIFY_COMMAND_CONNECT ? "connect" : "helo");
      goto done;
    }
  if (f.command == CLASSIFY_COMMAND_MAIL && (r->status == NULL || r->status[0] != '4'))
    {
      SET ("rejected", "command:mail");
      goto done;
    }

  /* 9. Retried, and no words say why: a delay notice that states no
   * cause is about the time the message has waited. */
  if (g_strcmp0 (r->action, "delayed") == 0)
    {
      SET ("expired", "action:delayed");
      goto done;
    }

  /* 10. Codes of a whole family. */
  if ((code = code_decide (r->status, TRUE)) != NULL)
    {
      SET (code->reason, "status:%s", r->status);
      r->rule_where = rule_where (report, code);
      goto done;
    }

  /* 11. The reply code. */
  if (r->reply_code != NULL)
    {
      const ClassifyRule *reply = reply_decide (r->reply_code);
      if (reply != NULL)
        {
          SET (reply->reason, "reply-code:%s", r->reply_code);
          r->rule_where = rule_where (report, reply);
          goto done;
        }
    }

  /* 12. A failure with a code or words we cannot explain is kept for
   * review; with nothing at all (a notice that names the recipient and no
   * cause), nothing can be derived. */
  r->reason = r->status || r->reply_code || r->diagnostic ? "onhold" : "undefined";

done:
  r->hard_bounce = is_hard (r->reason, r);
  infer_status (report, r);
}

#undef SET

void
classify_report (BounceReport *report, const BounceRules *rules)
{
  ScanMemo memo = { 0 };

  g_return_if_fail (report != NULL);
  for (guint i = 0; i < report->recipients->len; i++)
    classify_recipient (report, g_ptr_array_index (report->recipients, i), rules, &memo);
  for (guint i = 0; i < SCAN_MEMO_SLOTS; i++)
    g_free (memo.slots[i].text);
}

/* ---- one answer, for bounced classify ------------------------------------------ */

BounceReport *
bounce_classify (const BounceClassifyInput *input, const BounceRules *rules)
{
  BounceReport *report;
  BounceRecipient *r;
  g_autofree char *text = NULL;

  g_return_val_if_fail (input != NULL, NULL);
  report = bounce_report_new ();
  report->kind = BOUNCE_KIND_DSN;
  report->format = "rfc3464";
  r = bounce_report_add_recipient (report);
  r->recipient = bounce_report_str (report, input->recipient);
  r->action = bounce_report_str (report, input->action ? input->action : "failed");
  r->status = bounce_report_str (report, input->status);
  r->reply_code = bounce_report_str (report, input->reply_code);
  r->remote_mta = bounce_report_str (report, input->remote_mta);
  text = bounce_text_collapse (input->diagnostic, -1);
  r->diagnostic = bounce_report_str (report, text);
  if (input->command != NULL)
    {
      ClassifyCommand c = command_named (input->command);
      static const char *const names[] = { NULL, "CONNECT", "EHLO", "MAIL", "RCPT", "DATA" };
      r->command = names[c];
    }
  dsn_status_complete (report, r);
  classify_report (report, rules);
  return report;
}

const char *
bounce_recipient_rule_where (const BounceRecipient *recipient)
{
  g_return_val_if_fail (recipient != NULL, NULL);
  return recipient->rule_where;
}

static const char *const kind_names[] = { "phrase", "words", "status", "reply" };

void
bounce_rules_foreach (const BounceRules *rules, BounceRuleFunc func, gpointer user_data)
{
  const GPtrArray *list;

  g_return_if_fail (func != NULL);
  list = rules != NULL ? rules->rules : builtin ()->set->rules;
  for (guint i = 0; i < list->len; i++)
    {
      const ClassifyRule *r = g_ptr_array_index (list, i);
      BounceRuleInfo info = {
        .reason = r->reason, .kind = kind_names[r->kind], .pattern = r->pattern_text,
        .conditions = r->conditions_text, .name = r->name, .file = r->file, .line = r->line,
      };
      func (&info, user_data);
    }
}

/* ---- the rule index, for the tests ------------------------------------------ */

void
classify_index_hits (const char *text, gsize len, gboolean plain, ClassifyHitFunc func,
                     gpointer user_data)
{
  BounceRecipient none = { 0 };
  Facts f = { .rcpt = &none, .text = text, .len = len, .plain = plain };
  const Builtin *b = builtin ();

  g_return_if_fail (text != NULL && func != NULL);
  scan (&f, &b->text);
  for (guint i = 0; i < f.n_hits; i++)
    func (f.hits[i].rule, f.hits[i].start, f.hits[i].end, user_data);
  scan (&f, &b->permanence);
  for (guint i = 0; i < f.n_hits; i++)
    func (f.hits[i].rule, f.hits[i].start, f.hits[i].end, user_data);
}

/* ---- table checks, for the tests -------------------------------------------- */

gboolean
classify_check_tables (GError **error_out)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  const Builtin *b = builtin ();
  ClassifyCodePattern pat;

#define FAIL(...) \
  G_STMT_START { \
    g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED, __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

  for (guint i = 0; i < b->set->rules->len; i++)
    {
      const ClassifyRule *r = g_ptr_array_index (b->set->rules, i);

      if (r->name != NULL && !g_hash_table_add (names, (gpointer) r->name))
        FAIL ("%s:%u: duplicate rule name \"%s\"", r->file, r->line, r->name);
      if (r->kind == CLASSIFY_MATCH_STATUS)
        for (guint k = 0; k < b->codes->len; k++)
          {
            const ClassifyRule *o = g_ptr_array_index (b->codes, k);
            if (o != r && o->seq < r->seq && strcmp (o->pattern_text, r->pattern_text) == 0)
              FAIL ("%s:%u: status %s listed twice", r->file, r->line, r->pattern_text);
          }
    }
  for (guint i = 0; i < classify_n_refinements; i++)
    {
      const ClassifyRefinement *x = &classify_refinements[i];
      if (!classify_reason_known (x->from) || !classify_reason_known (x->to)
          || (x->status != NULL && !classify_code_parse (x->status, &pat))
          || (x->rule != NULL && !g_hash_table_contains (names, x->rule)))
        FAIL ("refinement %s: invalid", x->name);
    }
  for (guint i = 0; i < classify_n_type_rules; i++)
    if (!classify_reason_known (classify_type_rules[i].reason))
      FAIL ("diagnostic type rule %s: unknown reason", classify_type_rules[i].type);
  for (guint i = 0; i < classify_n_command_cues; i++)
    if (classify_command_cues[i].phrase[0] == '\0')
      FAIL ("command cue %u: empty", i);
#undef FAIL
  return TRUE;
}
