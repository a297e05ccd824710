/* classify-rules.c - the built-in tables that are not vocabulary
 *
 * Data only (STYLE.md 14).  The vocabulary itself (text, status and reply
 * rules) lives in the NNN-name.rules files of parser/rules/, in the
 * format of local rules files, embedded at build time; this file holds
 * what the decision order needs beside it: the cues that tell which SMTP
 * command a reply answered, the refinements that turn a reason by that
 * command, the Diagnostic-Code types and notice formats that decide by
 * themselves.  classify.c decides in which order all of them are
 * consulted; bounced-reasons(7) describes them.
 *
 * Sources: RFC 5321 (commands and replies), RFC 3463 and the IANA "SMTP
 * Enhanced Status Codes" registry, RFC 3464 2.3.6 (diagnostic types), and
 * the notices of the MTAs named beside the cues.
 */
#include "classify-private.h"

/* Which command a reply answered, as MTAs word it in their notices. */
const ClassifyCommandCue classify_command_cues[] = {
  { "after rcpt to", CLASSIFY_COMMAND_RCPT },
  { "in reply to rcpt to command", CLASSIFY_COMMAND_RCPT },
  { "did not like our rcpt to", CLASSIFY_COMMAND_RCPT },
  { "does not like recipient", CLASSIFY_COMMAND_RCPT },
  { "[rcpt_to]", CLASSIFY_COMMAND_RCPT },
  { "smtp:rcpt", CLASSIFY_COMMAND_RCPT },
  { ">>> rcpt to", CLASSIFY_COMMAND_RCPT },
  { "after end of data", CLASSIFY_COMMAND_DATA },
  { "after data", CLASSIFY_COMMAND_DATA },
  { "in reply to end of data command", CLASSIFY_COMMAND_DATA },
  { "in reply to data command", CLASSIFY_COMMAND_DATA },
  { "did not like our final data", CLASSIFY_COMMAND_DATA },
  { "did not like our data", CLASSIFY_COMMAND_DATA },
  { "failed after i sent the message", CLASSIFY_COMMAND_DATA },
  { "for text command", CLASSIFY_COMMAND_DATA },
  { "(data)", CLASSIFY_COMMAND_DATA },
  { ">>> data", CLASSIFY_COMMAND_DATA },
  { "after mail from", CLASSIFY_COMMAND_MAIL },
  { "in reply to mail from command", CLASSIFY_COMMAND_MAIL },
  { "did not like our mail from", CLASSIFY_COMMAND_MAIL },
  { "[mail_from]", CLASSIFY_COMMAND_MAIL },
  { ">>> mail from", CLASSIFY_COMMAND_MAIL },
  { "after initial connection", CLASSIFY_COMMAND_CONNECT },
  { "while connecting", CLASSIFY_COMMAND_CONNECT },
  { "refused to talk to me", CLASSIFY_COMMAND_CONNECT },
  { "after helo", CLASSIFY_COMMAND_HELO },
  { "after ehlo", CLASSIFY_COMMAND_HELO },
  { "in reply to helo command", CLASSIFY_COMMAND_HELO },
  { "in reply to ehlo command", CLASSIFY_COMMAND_HELO },
  { "my name was rejected", CLASSIFY_COMMAND_HELO },
};

const guint classify_n_command_cues = G_N_ELEMENTS (classify_command_cues);

/* The command a reply answers says whose address the text is about. */
const ClassifyRefinement classify_refinements[] = {
  /* RFC 5321 3.3: an address refused in reply to MAIL FROM is the sender's. */
  { .name = "mail-from", .from = "userunknown", .to = "rejected", .command = CLASSIFY_COMMAND_MAIL },
  { .name = "mail-from", .from = "hostunknown", .to = "rejected", .command = CLASSIFY_COMMAND_MAIL },
  /* At MAIL FROM a refusal by policy is of the sender. */
  { .name = "mail-from", .rule = "access-denied", .from = "policyviolation", .to = "rejected",
    .command = CLASSIFY_COMMAND_MAIL },
  { .name = "mail-from", .from = "notaccept", .to = "rejected", .command = CLASSIFY_COMMAND_MAIL },
  /* At the greeting or HELO no address has been given: it is the client. */
  { .name = "connect", .from = "userunknown", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "connect", .from = "hostunknown", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "connect", .from = "rejected", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "helo", .from = "userunknown", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  { .name = "helo", .from = "hostunknown", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  { .name = "helo", .from = "rejected", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  { .name = "connect", .from = "policyviolation", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "helo", .from = "policyviolation", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  /* "Unknown user" after DATA: RCPT accepted the address, so a filter
   * refused the message (a practice of Japanese mobile carriers). */
  { .name = "after-data", .from = "userunknown", .to = "filtered", .command = CLASSIFY_COMMAND_DATA,
    .below_provider = TRUE },
  /* A policy code (x.7.x) with the generic "mailbox unavailable" of RFC
   * 5321 and no command named: the code says the refusal is a policy's. */
  { .name = "policy-code", .rule = "mailbox-unavailable", .from = "userunknown", .to = "filtered",
    .status = "x.7.x", .no_command = TRUE },
  /* RFC 5321 4.2.2 suggests "mailbox unavailable" for any 550 ("mailbox
   * not found, no access, or command rejected for policy reasons"): alone,
   * without a mailbox-address code (x.1.x) or RCPT TO, it does not show the
   * address is dead. */
  { .name = "generic-text", .rule = "mailbox-unavailable", .from = "userunknown", .to = "filtered",
    .status_not = "x.1.x", .no_command = TRUE },
  /* A mailbox-status code (RFC 3463 x.2.x: the mailbox exists, in some
   * state) with "user unknown" words and no command named: the code says
   * the mailbox is there, so the words are a filter's, not the directory's. */
  { .name = "mailbox-status-code", .from = "userunknown", .to = "filtered", .status = "x.2.x",
    .no_command = TRUE, .below_provider = TRUE },
  /* A DNS failure under a transient class (4.x.x, RFC 3463 2): the lookup
   * failed this time; the domain is not shown not to exist.  (Postfix's
   * "450 4.1.2 Domain not found" is also its answer to a DNS failure that
   * may pass, unknown_address_tempfail_action.) */
  { .name = "transient-dns", .from = "hostunknown", .to = "networkerror", .status = "4.x.x" },
  /* "Invalid domain name" under a syntax code (x.5.x, RFC 3463 3.6: the
   * command's arguments): the address as written was refused, the domain
   * is not shown not to exist (Exchange's and MDaemon's 501 5.5.4). */
  { .name = "syntax-code", .rule = "illegal-host-domain-name", .from = "hostunknown",
    .to = "syntaxerror", .status = "x.5.x" },
  /* A connection or DNS failure is transient by nature: when the mail
   * system reports the delivery failed (not delayed), it gave up after
   * its queue lifetime, whatever code it kept (Postfix returns the last
   * 4.x.x; Gmail's final notice says "did not accept our requests to
   * connect" under 5.4.0). */
  { .name = "gave-up", .rule = "connection-failure", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "connect-to-host-failed", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "lost-connection", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "no-route-to-host", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "timed-out-while", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "timed-out", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "command-timeout", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "remote-closed-connection", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "could-not-connect", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "qmail-could-not-establish", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "qmail-connection-rejected", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "google-did-not-accept-connect", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "socket-error", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "network-error", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "no-valid-route", .from = "networkerror", .to = "expired", .failed = TRUE },
  { .name = "gave-up", .rule = "network-other-languages", .from = "networkerror", .to = "expired", .failed = TRUE },
  /* x.2.3 is the per-recipient size limit (RFC 3463 3.3, REASONS.md): size
   * words that do not say whose limit ("Message too big", the registry's
   * own "Message length exceeds administrative limit") are the mailbox's.
   * Words that name the system's limit decide by themselves (provider
   * wording in 050-message.rules: Sendmail's and Cyrus's "fixed maximum
   * message size", Gmail's "Google's message size limits"). */
  { .name = "mailbox-limit", .from = "mesgtoobig", .to = "exceedlimit", .status = "x.2.3",
    .below_provider = TRUE },
  /* x.4.7 says the queue lifetime ran out: a refused or reset connection
   * was why each attempt failed, the expiry is why the message did. */
  { .name = "queue-expired", .from = "networkerror", .to = "expired", .status = "x.4.7" },
};

const guint classify_n_refinements = G_N_ELEMENTS (classify_refinements);

/* RFC 3464 2.3.6: x-unix is a local delivery program's own failure. */
const ClassifyTypeRule classify_type_rules[] = {
  { "x-unix", "mailererror", { "mailboxfull", "systemfull", "mesgtoobig", NULL } },
};

const guint classify_n_type_rules = G_N_ELEMENTS (classify_type_rules);

/* Notices whose format alone says what happened. */
const ClassifyFormatRule classify_format_rules[] = {
  /* Google Groups answers a post it refuses: the group does not exist or
   * the sender may not post to it; the text is localised. */
  { "googlegroups", "rejected" },
};

const guint classify_n_format_rules = G_N_ELEMENTS (classify_format_rules);

/* The registered code of each reason (RFC 3463 section 3, the IANA
 * registry), for a status the server did not give: its class comes from
 * the reply code, the notice or the reason, its subject and detail from
 * here.  Reasons without a registered code of their own get 0.0. */
const ClassifyReasonCode classify_reason_codes[] = {
  { "userunknown", 1, 1 },     /* bad destination mailbox address */
  { "hostunknown", 1, 2 },     /* bad destination system address */
  { "hasmoved", 1, 6 },        /* destination mailbox has moved */
  { "notaccept", 3, 2 },       /* system not accepting network messages */
  { "mailboxfull", 2, 2 },     /* mailbox full */
  { "suspend", 2, 1 },         /* mailbox disabled, not accepting messages */
  { "exceedlimit", 2, 3 },     /* message length exceeds administrative limit */
  { "mesgtoobig", 3, 4 },      /* message too big for system */
  { "filtered", 2, 0 },        /* other or undefined mailbox status */
  { "systemfull", 3, 1 },      /* mail system full */
  { "systemerror", 3, 0 },     /* other or undefined mail system status */
  { "mailererror", 3, 0 },
  { "networkerror", 4, 0 },    /* other or undefined network or routing status */
  { "toomanyconn", 4, 5 },     /* mail system congestion */
  { "expired", 4, 7 },         /* delivery time expired */
  { "syntaxerror", 5, 0 },     /* other or undefined protocol status */
  { "contenterror", 6, 0 },    /* other or undefined media error */
  { "notcompliantrfc", 6, 0 },
  { "securityerror", 7, 0 },   /* other or undefined security status */
  { "failedstarttls", 7, 10 }, /* encryption needed */
  { "requireptr", 7, 25 },     /* reverse DNS validation failed */
  { "authfailure", 7, 26 },    /* multiple authentication checks failed */
  { "speeding", 7, 28 },       /* mail flood detected */
  { "blocked", 7, 1 },         /* delivery not authorized, message refused */
  { "badreputation", 7, 1 },
  { "norelaying", 7, 1 },
  { "rejected", 7, 1 },
  { "spamdetected", 7, 1 },
  { "virusdetected", 7, 1 },
  { "policyviolation", 7, 1 },
};

const guint classify_n_reason_codes = G_N_ELEMENTS (classify_reason_codes);
