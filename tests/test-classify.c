/* test-classify.c - reasons, hard-bounce verdicts and evidence
 *
 * Table-driven: each case is a recipient as the parser fills it (status,
 * reply code, diagnostic, action, hosts) and the reason, verdict and
 * evidence the classifier must give.  The cases follow the decision order
 * of bounced-reasons(7); the diagnostics are written for these tests in
 * the wording of the server classes named beside them.
 *
 * /classify/rules/every-phrase-rule builds a diagnostic for every row of
 * the built-in phrase table and checks that this very row decides it, so
 * that a rule shadowed by another one, or whose conditions can never
 * hold, fails the suite.  Code and reply tables get the same treatment.
 */
#include "classify-private.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  const char *name;          /* test case name, with its source */
  BounceKind kind;
  const char *action;
  const char *status;
  const char *reply;
  const char *diagnostic;
  const char *diagnostic_type;
  const char *remote_mta;
  const char *recipient;
  const char *format;
  const char *command;       /* as the notice names it (BounceRecipient.command) */
  const char *notice;        /* the report's own words (BounceRecipient.notice) */
  const char *reason;        /* expected */
  gboolean hard;
  const char *evidence;      /* expected, or NULL for "no evidence" */
} Case;

static BounceReport *
report_for (const Case *c, BounceRecipient **rcpt_out)
{
  BounceReport *report = bounce_report_new ();
  BounceRecipient *r = bounce_report_add_recipient (report);

  report->kind = c->kind;
  report->format = c->format ? c->format : "rfc3464";
  r->recipient = bounce_report_str (report, c->recipient ? c->recipient : "user@example.org");
  r->action = bounce_report_str (report, c->action);
  r->status = bounce_report_str (report, c->status);
  r->reply_code = bounce_report_str (report, c->reply);
  r->diagnostic = bounce_report_str (report, c->diagnostic);
  r->diagnostic_type = bounce_report_str (report, c->diagnostic_type);
  r->remote_mta = bounce_report_str (report, c->remote_mta);
  r->command = bounce_report_str (report, c->command);
  r->notice = bounce_report_str (report, c->notice);
  *rcpt_out = r;
  return report;
}

static void
check_case (const Case *c, const BounceRules *rules)
{
  BounceRecipient *r;
  g_autoptr(BounceReport) report = report_for (c, &r);

  classify_report (report, rules);
  if (g_strcmp0 (r->reason, c->reason) != 0 || r->hard_bounce != c->hard
      || g_strcmp0 (r->evidence, c->evidence) != 0)
    g_error ("%s: got %s/%s/%s, expected %s/%s/%s", c->name, r->reason,
             r->hard_bounce ? "hard" : "soft", r->evidence, c->reason,
             c->hard ? "hard" : "soft", c->evidence);
}

#define FAILED .kind = BOUNCE_KIND_DSN, .action = "failed"

/* ---- the decision order ---------------------------------------------------- */

static const Case order_cases[] = {
  { "kind: RFC 3834 auto-reply", .kind = BOUNCE_KIND_AUTO_REPLY, .diagnostic = "Out of office",
    .reason = "vacation", .evidence = "kind:auto-reply" },
  { "kind: RFC 5965 feedback report", .kind = BOUNCE_KIND_FEEDBACK,
    .diagnostic = "This is an email abuse report", .reason = "feedback", .evidence = "kind:feedback" },
  { "kind wins over a failure text", .kind = BOUNCE_KIND_AUTO_REPLY,
    .diagnostic = "550 5.1.1 user unknown", .reason = "vacation", .evidence = "kind:auto-reply" },
  { "RFC 3464 Action: delivered", .kind = BOUNCE_KIND_DSN, .action = "delivered", .status = "2.0.0",
    .diagnostic = "250 2.0.0 OK queued", .reason = "delivered", .evidence = "action:delivered" },
  { "RFC 3464 Action: relayed", .kind = BOUNCE_KIND_DSN, .action = "relayed",
    .diagnostic = "relayed to non-DSN-aware mailer", .reason = "delivered", .evidence = "action:relayed" },
  { "RFC 3464 Action: expanded", .kind = BOUNCE_KIND_DSN, .action = "expanded",
    .reason = "delivered", .evidence = "action:expanded" },
  { "2.x.x status with a non-standard action", .kind = BOUNCE_KIND_DSN, .action = "deliverable",
    .status = "2.1.5", .reply = "250", .diagnostic = "250 2.1.5 Ok",
    .reason = "delivered", .evidence = "status:2.1.5" },
  { "text beats code: a 5.2.1 naming an unknown user at RCPT TO (the notice says so)", FAILED,
    .status = "5.2.1", .reply = "550", .command = "RCPT",
    .diagnostic = "550 5.2.1 <u@example.org>: Recipient address rejected: User unknown in relay recipient table",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:postfix-recipient-table" },
  { "text beats code: a 5.1.1 that is really a full mailbox", FAILED, .status = "5.1.1",
    .reply = "552", .diagnostic = "552 sorry, mailbox u@example.org is over quota temporarily (#5.1.1)",
    .reason = "mailboxfull", .evidence = "diagnostic:mailbox-full" },
  { "code beats reply code: 550 5.2.2 without words", FAILED, .status = "5.2.2", .reply = "550",
    .diagnostic = "550 5.2.2", .reason = "mailboxfull", .evidence = "status:5.2.2" },
  { "code beats general wording: 550 5.1.1 mailbox unavailable", FAILED, .status = "5.1.1",
    .reply = "550", .diagnostic = "550 5.1.1 Requested action not taken: mailbox unavailable",
    .reason = "userunknown", .hard = TRUE, .evidence = "status:5.1.1" },
  { "general wording beats a vague code: 5.7.1 blocked", FAILED, .status = "5.7.1", .reply = "554",
    .diagnostic = "554 5.7.1 Message blocked", .reason = "blocked", .evidence = "diagnostic:blocked" },
  { "vague code when nothing else: 5.7.1", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 Go away", .reason = "policyviolation", .evidence = "status:5.7.1" },
  { "reply code when no status: RFC 7504 556", FAILED, .reply = "556",
    .diagnostic = "556 example.org", .reason = "notaccept", .hard = TRUE, .evidence = "reply-code:556" },
  { "reply code: 552 exceeded storage allocation", FAILED, .reply = "552",
    .diagnostic = "552 Requested mail action aborted", .reason = "mailboxfull",
    .evidence = "reply-code:552" },
  { "Action: delayed with nothing else", .kind = BOUNCE_KIND_DSN, .action = "delayed",
    .status = "4.0.0", .reason = "expired", .evidence = "action:delayed" },
  { "Action: delayed keeps its reason", .kind = BOUNCE_KIND_DSN, .action = "delayed",
    .status = "4.2.2", .reply = "452", .diagnostic = "452 4.2.2 Mailbox full",
    .reason = "mailboxfull", .evidence = "diagnostic:mailbox-full" },
  { "Action: delayed is never a hard bounce", .kind = BOUNCE_KIND_DSN, .action = "delayed",
    .status = "4.1.1", .reply = "450", .diagnostic = "450 4.1.1 <u@example.org>: User unknown",
    .reason = "userunknown", .hard = FALSE, .evidence = "diagnostic:user-unknown" },
  { "onhold: a failure nobody explains", FAILED, .status = "5.0.0", .reply = "550",
    .diagnostic = "550 Go away", .reason = "onhold" },
  { "undefined: nothing at all", .kind = BOUNCE_KIND_LEGACY, .reason = "undefined" },
  { "undefined: a failed recipient with no code and no words", FAILED, .reason = "undefined" },
  { "RFC 3464 2.3.6 x-unix: the local program failed", FAILED, .status = "5.3.0",
    .diagnostic_type = "x-unix", .diagnostic = "procmail: Couldn't create \"/var/mail/u\"",
    .reason = "mailererror", .evidence = "diagnostic-type:x-unix" },
  { "x-unix reporting a full mailbox keeps mailboxfull", FAILED, .status = "4.3.0",
    .diagnostic_type = "x-unix", .diagnostic = "maildrop: maildir over quota.",
    .reason = "mailboxfull", .evidence = "diagnostic:mailbox-full" },
  { "format: Google Groups refusal, localised text", .kind = BOUNCE_KIND_LEGACY, .action = "failed",
    .format = "googlegroups", .diagnostic = "Bonjour, le groupe n'existe pas",
    .reason = "rejected", .evidence = "format:googlegroups" },
};

/* ---- the report's own words (BounceRecipient.notice) ---------------------- */

static const Case notice_cases[] = {
  { "PowerMTA: the Status comment names the mailbox state the code means", FAILED,
    .status = "5.2.1", .reply = "550", .diagnostic = "550 5.2.1 <u@example.org>... User Unknown",
    .notice = "mailbox disabled, not accepting messages",
    .reason = "suspend", .evidence = "notice:account-disabled" },
  { "the notice's wording of a higher class decides under a generic code", FAILED,
    .status = "5.0.0", .reply = "550",
    .diagnostic = "550 user unknown (in reply to RCPT TO command)",
    .notice = "account is disabled", .reason = "suspend", .evidence = "notice:account-disabled" },
  { "the notice does not decide against the status code", FAILED, .status = "5.1.1", .reply = "550",
    .diagnostic = "550 5.1.1 <u@example.org>... User Unknown",
    .notice = "Your message to <other> was automatically rejected: Not enough disk space",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "the notice decides only above the answer's class", FAILED, .status = "4.2.2", .reply = "452",
    .diagnostic = "452 4.2.2 Mailbox full", .notice = "The account is disabled.",
    .reason = "mailboxfull", .evidence = "diagnostic:mailbox-full" },
  { "ordinary wording of the notice does not decide", FAILED, .status = "5.0.0", .reply = "550",
    .diagnostic = "550 Go away", .notice = "no such user here", .reason = "onhold" },
  { "Google: the explanation names the cause the response does not", FAILED,
    .diagnostic = "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability",
    .notice = "You're sending this from a different address or alias using the 'Send mail as' feature. "
              "The settings for your 'Send mail as' account are misconfigured or out of date.",
    .reason = "rejected", .evidence = "notice:google-send-mail-as" },
};

/* ---- hard bounces, REASONS.md ---------------------------------------------- */

static const Case hard_cases[] = {
  { "userunknown is hard", FAILED, .status = "5.1.1", .reply = "550",
    .diagnostic = "550 5.1.1 The email account that you tried to reach does not exist.",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:google-account-does-not-exist" },
  { "hostunknown is hard", FAILED, .status = "5.1.2",
    .diagnostic = "Host or domain name not found. Name service error for name=example.invalid type=A: Host not found",
    .reason = "hostunknown", .hard = TRUE, .evidence = "diagnostic:domain-not-found" },
  { "hasmoved is hard", FAILED, .status = "5.1.6", .reply = "551",
    .diagnostic = "551 User not local; please try <new@example.net>",
    .reason = "hasmoved", .hard = TRUE, .evidence = "diagnostic:user-not-local" },
  { "notaccept with 5xx is hard (RFC 7505 null MX)", FAILED, .status = "5.1.10",
    .diagnostic = "Domain example.org does not accept mail (nullMX)",
    .reason = "notaccept", .hard = TRUE, .evidence = "diagnostic:does-not-accept-mail" },
  { "notaccept with 4xx is soft", FAILED, .status = "4.3.2", .reply = "421",
    .diagnostic = "421 4.3.2 System not accepting network messages",
    .reason = "notaccept", .hard = FALSE, .evidence = "diagnostic:not-accepting-network-messages" },
  { "notaccept by reply code 521 is hard", FAILED, .reply = "521",
    .diagnostic = "521 mx.example.org", .reason = "notaccept", .hard = TRUE,
    .evidence = "reply-code:521" },
  { "mailboxfull is soft even when permanent", FAILED, .status = "5.2.2", .reply = "552",
    .diagnostic = "552 5.2.2 Mailbox full", .reason = "mailboxfull", .evidence = "diagnostic:mailbox-full" },
  { "suspend is soft", FAILED, .status = "5.2.1", .reply = "550",
    .diagnostic = "550 5.2.1 The email account that you tried to reach is disabled.",
    .reason = "suspend", .evidence = "diagnostic:google-account-disabled" },
  { "policy refusal is soft: the sender is blocked, not the address", FAILED, .status = "5.7.1",
    .reply = "554", .diagnostic = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
    .reason = "blocked", .evidence = "diagnostic:blocked-using" },
  { "sender rejection is soft", FAILED, .status = "5.1.8", .reply = "553",
    .diagnostic = "553 5.1.8 <bounce@example.com>: Sender address rejected: Domain not found",
    .reason = "rejected", .evidence = "diagnostic:sender-rejected" },
};

/* ---- the command a reply answers ------------------------------------------- */

static const Case command_cases[] = {
  { "Exim: unknown address after MAIL FROM is the sender's", .kind = BOUNCE_KIND_LEGACY, .action = "failed",
    .status = "5.1.7", .reply = "550",
    .diagnostic = "SMTP error from remote mail server after MAIL FROM:<s@example.com>: 550 5.1.7 No such domain example.com",
    .reason = "rejected", .evidence = "diagnostic:no-such-domain/mail-from" },
  { "qmail: HELO name refused is about the client", .kind = BOUNCE_KIND_LEGACY, .action = "failed",
    .reply = "501", .diagnostic = "Connected to 192.0.2.1 but my name was rejected. Remote host said: 501 5.0.0 Invalid domain name",
    .reason = "blocked", .evidence = "diagnostic:illegal-host-domain-name/helo" },
  { "Exim: refused at the greeting", .kind = BOUNCE_KIND_LEGACY, .action = "failed", .reply = "554",
    .diagnostic = "SMTP error from remote mail server after initial connection: 554 Go away",
    .reason = "blocked", .evidence = "command:connect" },
  { "Postfix: user unknown after DATA is a filter", FAILED, .status = "5.0.0", .reply = "550",
    .diagnostic = "host mx.example.org[192.0.2.2] said: 550 User unknown (in reply to end of DATA command)",
    .reason = "filtered", .evidence = "diagnostic:user-unknown/after-data" },
  /* Issue 9: a carrier's filter wording once turned every plain "unknown
   * user" into filtered; it is the directory's answer anywhere else. */
  { "plain 'Unknown user' with no command named is the directory's answer", FAILED,
    .status = "5.0.0", .reply = "550", .diagnostic = "550 Unknown user u@example.ne.jp",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:unknown-user" },
  { "docomo's ' : User unknown' is its reception filter", FAILED, .status = "5.0.0", .reply = "550",
    .diagnostic = "550 : User unknown", .remote_mta = "mfsmax.docomo.ne.jp",
    .reason = "filtered", .evidence = "diagnostic:carrier-reception-filter" },
  { "carrier wording with a mailbox code stays userunknown", FAILED, .status = "5.1.1", .reply = "550",
    .diagnostic = "550 Unknown user u@example.ne.jp", .reason = "userunknown", .hard = TRUE,
    .evidence = "diagnostic:unknown-user" },
  { "Sendmail: refused connections until the queue lifetime ran out (x.4.7)", FAILED,
    .status = "4.4.7", .diagnostic = "Deferred: Connection refused by mx.example.org.",
    .reason = "expired", .evidence = "diagnostic:connection-failure/gave-up" },
  /* The authentication acronyms in refusals of other languages decide over
   * a family code (x.7.1), not over a specific code or wording. */
  { "German SPF refusal under 5.7.1", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 SPF-Prüfung fehlgeschlagen, Nachricht abgewiesen",
    .reason = "authfailure", .evidence = "diagnostic:authentication-acronyms" },
  { "French DKIM refusal under 5.7.1", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 Échec de la vérification DKIM du message",
    .reason = "authfailure", .evidence = "diagnostic:authentication-acronyms" },
  { "Korean DMARC refusal under 5.7.1", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 DMARC 정책에 의해 거부되었습니다",
    .reason = "authfailure", .evidence = "diagnostic:dmarc" },
  { "a spam refusal that mentions a passing SPF is spam", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 Message classified as spam (SPF pass, DKIM pass)",
    .reason = "spamdetected", .evidence = "diagnostic:detected-as-spam" },
  /* Past forms of "not found" in the Romance languages. */
  { "Portuguese: the recipient's domain was not found", FAILED,
    .diagnostic = "Não foi possível entregar a mensagem: o domínio do destinatário não foi encontrado.",
    .reason = "hostunknown", .hard = TRUE, .evidence = "diagnostic:es-pt-it-hostunknown" },
  { "Spanish: the user was not found", FAILED, .reply = "550",
    .diagnostic = "550 El usuario no se encontró en el servidor",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:es-userunknown" },
  { "Italian: the domain was not found", FAILED,
    .diagnostic = "Il dominio del destinatario non è stato trovato",
    .reason = "hostunknown", .hard = TRUE, .evidence = "diagnostic:es-pt-it-hostunknown" },
  /* A gateway relaying Postfix's RCPT-time answer at DATA. */
  { "Postfix's virtual alias table relayed after DATA", FAILED, .reply = "550",
    .command = "DATA",
    .diagnostic = "permanent failure for one or more recipients (kim@example.org:550 5.1.1 "
                  "<kim@example.org>: Recipient address rejected: User unknown in virtual alias table)",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:postfix-recipient-table" },
  { "Exchange's MX loopback under 5.4.4 is no dead domain", FAILED, .status = "5.4.4", .reply = "554",
    .diagnostic = "554 5.4.4 SMTPSEND.DNS.MxLoopback; DNS records for the destination domain are configured in a loop",
    .reason = "systemerror", .evidence = "diagnostic:dns-loopback" },
  /* No such recipient and mailbox full in the languages at the end of
   * 085-languages.rules, each concept in two wordings or more; the sender's
   * address not found is no recipient's. */
  { "Turkish: Alıcının posta kutusu dolu.", FAILED,
    .diagnostic = "Alıcının posta kutusu dolu.", .reason = "mailboxfull", .evidence = "diagnostic:tr-mailboxfull" },
  { "Turkish: Kullanıcı bulunamadı.", FAILED,
    .diagnostic = "Kullanıcı bulunamadı.", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:tr-userunknown" },
  { "Turkish: Böyle bir kullanıcı yok", FAILED,
    .diagnostic = "Böyle bir kullanıcı yok", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:tr-boyle-bir-kullanici-yok" },
  { "Swedish: Mottagarens brevlåda är full.", FAILED,
    .diagnostic = "Mottagarens brevlåda är full.", .reason = "mailboxfull", .evidence = "diagnostic:sv-da-no-mailboxfull" },
  { "Swedish: Mottagaren finns inte.", FAILED,
    .diagnostic = "Mottagaren finns inte.", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:sv-da-no-userunknown" },
  { "Swedish: Okänd mottagare", FAILED,
    .diagnostic = "Okänd mottagare", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:sv-da-no-okand-mottagare" },
  { "Danish: Modtageren findes ikke", FAILED,
    .diagnostic = "Modtageren findes ikke", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:sv-da-no-userunknown" },
  { "Danish: Postkassen er fuld", FAILED,
    .diagnostic = "Postkassen er fuld", .reason = "mailboxfull", .evidence = "diagnostic:sv-da-no-mailboxfull" },
  { "Norwegian: Mottakeren finnes ikke", FAILED,
    .diagnostic = "Mottakeren finnes ikke", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:sv-da-no-userunknown" },
  { "Norwegian: Innboksen er full", FAILED,
    .diagnostic = "Innboksen er full", .reason = "mailboxfull", .evidence = "diagnostic:sv-da-no-mailboxfull" },
  { "Finnish: Vastaanottajaa ei ole olemassa", FAILED,
    .diagnostic = "Vastaanottajaa ei ole olemassa", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:fi-userunknown" },
  { "Finnish: Vastaanottajan postilaatikko on täynnä", FAILED,
    .diagnostic = "Vastaanottajan postilaatikko on täynnä", .reason = "mailboxfull", .evidence = "diagnostic:fi-mailboxfull" },
  { "Hungarian: A címzett postafiókja megtelt.", FAILED,
    .diagnostic = "A címzett postafiókja megtelt.", .reason = "mailboxfull", .evidence = "diagnostic:hu-mailboxfull" },
  { "Hungarian: A címzett nem létezik", FAILED,
    .diagnostic = "A címzett nem létezik", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:hu-userunknown" },
  { "Hungarian: Nincs ilyen felhasználó", FAILED,
    .diagnostic = "Nincs ilyen felhasználó", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:hu-nincs-ilyen" },
  { "Romanian: Destinatarul nu există", FAILED,
    .diagnostic = "Destinatarul nu există", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:ro-userunknown" },
  { "Romanian: Căsuța poștală a destinatarului este plină", FAILED,
    .diagnostic = "Căsuța poștală a destinatarului este plină", .reason = "mailboxfull", .evidence = "diagnostic:ro-mailboxfull" },
  { "Greek: Ο παραλήπτης δεν υπάρχει.", FAILED,
    .diagnostic = "Ο παραλήπτης δεν υπάρχει.", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:el-userunknown" },
  { "Greek: ΑΓΝΩΣΤΟΣ ΠΑΡΑΛΗΠΤΗΣ", FAILED,
    .diagnostic = "ΑΓΝΩΣΤΟΣ ΠΑΡΑΛΗΠΤΗΣ", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:el-agnostos-paraliptis" },
  { "Greek: Το γραμματοκιβώτιο είναι γεμάτο", FAILED,
    .diagnostic = "Το γραμματοκιβώτιο είναι γεμάτο", .reason = "mailboxfull", .evidence = "diagnostic:el-mailboxfull" },
  { "Ukrainian: Користувача не знайдено", FAILED,
    .diagnostic = "Користувача не знайдено", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:uk-userunknown" },
  { "Ukrainian: Поштова скринька переповнена", FAILED,
    .diagnostic = "Поштова скринька переповнена", .reason = "mailboxfull", .evidence = "diagnostic:uk-mailboxfull" },
  { "Vietnamese: Người nhận không tồn tại", FAILED,
    .diagnostic = "Người nhận không tồn tại", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:vi-userunknown" },
  { "Vietnamese: Hộp thư đã đầy", FAILED,
    .diagnostic = "Hộp thư đã đầy", .reason = "mailboxfull", .evidence = "diagnostic:vi-mailboxfull" },
  { "Indonesian: Pengguna tidak ditemukan", FAILED,
    .diagnostic = "Pengguna tidak ditemukan", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:id-ms-userunknown" },
  { "Indonesian: Kotak surat penerima penuh", FAILED,
    .diagnostic = "Kotak surat penerima penuh", .reason = "mailboxfull", .evidence = "diagnostic:id-ms-mailboxfull" },
  { "Arabic: المستلم غير موجود", FAILED,
    .diagnostic = "المستلم غير موجود", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:ar-userunknown" },
  { "Arabic: صندوق البريد ممتلئ", FAILED,
    .diagnostic = "صندوق البريد ممتلئ", .reason = "mailboxfull", .evidence = "diagnostic:ar-mailboxfull" },
  { "Hebrew: הנמען אינו קיים", FAILED,
    .diagnostic = "הנמען אינו קיים", .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:he-userunknown" },
  { "Hebrew: תיבת הדואר מלאה", FAILED,
    .diagnostic = "תיבת הדואר מלאה", .reason = "mailboxfull", .evidence = "diagnostic:he-mailboxfull" },
  { "Spanish: La cuenta de correo del destinatario ha sido desactivada.", FAILED,
    .diagnostic = "La cuenta de correo del destinatario ha sido desactivada.", .reason = "suspend", .evidence = "diagnostic:es-pt-it-suspend" },
  { "Turkish trap: the sender's address: Gönderen adresi bulunamadı", FAILED,
    .diagnostic = "Gönderen adresi bulunamadı", .reason = "onhold" },
  /* Filters of the recipient's that are not said to be about spam, and the
   * ones that are; network failures, sizes and suspensions in more
   * wordings and languages. */
  { "a content filter rule of the recipient's", FAILED, .status = "5.7.1",
    .diagnostic = "550 5.7.1 Message rejected by a content filter rule", .reason = "filtered", .evidence = "diagnostic:content-filter" },
  { "a dictionary profile of the content filter", FAILED, .status = "5.7.1",
    .diagnostic = "550 5.7.1 Message rejected by content filter: dictionary profile matched", .reason = "filtered", .evidence = "diagnostic:content-filter" },
  { "a header filter under x.7.0", FAILED, .status = "5.7.0",
    .diagnostic = "554 5.7.0 Message rejected by header filter: Subject contains prohibited words", .reason = "filtered", .evidence = "diagnostic:content-filter" },
  { "a spam filter is spam, not a content filter", FAILED, .status = "5.7.1",
    .diagnostic = "550 5.7.1 Message rejected by spam filter", .reason = "spamdetected", .evidence = "diagnostic:spam-score" },
  { "Exchange's Content Filter agent is its spam filter", FAILED, .status = "5.2.1",
    .diagnostic = "550 5.2.1 Content Filter agent quarantined this message", .reason = "spamdetected", .evidence = "diagnostic:exchange-content-filter-agent" },
  { "the recipient refuses this sender", FAILED,
    .diagnostic = "550 Message rejected: the recipient does not accept mail from this sender", .reason = "filtered", .evidence = "diagnostic:recipient-refuses-sender" },
  { "a misconfigured remote server", FAILED,
    .diagnostic = "Your message couldn't be delivered because the remote server is misconfigured.", .reason = "systemerror", .evidence = "diagnostic:server-misconfigured" },
  { "French: the server refuses connections", FAILED,
    .diagnostic = "La remise est retardée : le serveur du destinataire refuse temporairement les connexions.", .reason = "networkerror", .evidence = "diagnostic:refuses-connections-languages" },
  { "Spanish: the server refuses the connection", FAILED,
    .diagnostic = "El servidor del destinatario rechaza la conexión", .reason = "networkerror", .evidence = "diagnostic:refuses-connections-languages" },
  { "Chinese: cannot connect", FAILED,
    .diagnostic = "无法连接到对方邮件服务器，系统将稍后重试。", .reason = "networkerror", .evidence = "diagnostic:zh-cannot-connect" },
  { "Japanese: cannot connect", FAILED,
    .diagnostic = "宛先サーバーに接続できないため、配送が遅れています。", .reason = "networkerror", .evidence = "diagnostic:ja-network" },
  { "Dutch: the server is temporarily unreachable", FAILED,
    .diagnostic = "De server van de ontvanger is tijdelijk niet bereikbaar.", .reason = "networkerror", .evidence = "diagnostic:unreachable-languages" },
  { "Polish: the message exceeds the allowed size", FAILED,
    .diagnostic = "Wiadomość przekracza maksymalny dozwolony rozmiar i nie została dostarczona.", .reason = "mesgtoobig", .evidence = "diagnostic:exceeds-size-languages" },
  { "Czech: the message exceeds the size", FAILED,
    .diagnostic = "Zpráva překračuje maximální povolenou velikost.", .reason = "mesgtoobig", .evidence = "diagnostic:exceeds-size-languages" },
  { "Czech: the mailbox is blocked (its state)", FAILED,
    .diagnostic = "Schránka příjemce byla zablokována. Zprávu nelze doručit.", .reason = "suspend", .evidence = "diagnostic:nl-pl-cs-suspend" },
  { "Japanese: the address is suspended", FAILED,
    .diagnostic = "このメールアドレスは現在利用停止中のため、メールを受信できません。", .reason = "suspend", .evidence = "diagnostic:ja-suspend" },
  /* Gateways' and MTAs' own verdicts; whose permission is missing. */
  { "amavis's BANNED verdict under x.7.0", FAILED, .status = "5.7.0",
    .diagnostic = "554 5.7.0 Reject, id=12345-06 - BANNED: invoice.exe", .reason = "contenterror", .evidence = "diagnostic:amavis-banned-verdict" },
  { "amavis's BAD-HEADER verdict", FAILED, .status = "5.7.0",
    .diagnostic = "554 5.7.0 Reject, id=23456-01 - BAD-HEADER", .reason = "notcompliantrfc", .evidence = "diagnostic:amavis-bad-header" },
  { "a virus named phishing is a virus", FAILED,
    .diagnostic = "550 This message contains a virus (Heuristics.Phishing.Email.SpoofedDomain)", .reason = "virusdetected", .evidence = "diagnostic:virus" },
  { "MessageLabs' 'Message filtered' is its spam filter", FAILED,
    .diagnostic = "553 Message filtered. Refer to the Troubleshooting page at http://www.symanteccloud.com/troubleshooting for more information. (#5.7.1)", .reason = "spamdetected", .evidence = "diagnostic:messagelabs-message-filtered" },
  { "Exchange's send-as check", FAILED, .status = "5.7.1",
    .diagnostic = "550 5.7.1 Client does not have permissions to send as this sender", .reason = "rejected", .evidence = "diagnostic:not-permitted-to-send-as" },
  { "Exchange's restricted recipients", FAILED, .status = "5.7.129",
    .diagnostic = "550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission; not authorized to send to this recipient", .reason = "rejected", .evidence = "diagnostic:exchange-restricted-senders" },
  { "a mailbox that takes mail from approved senders only", FAILED, .status = "5.7.1",
    .diagnostic = "550 5.7.1 Your message can't be delivered because the recipient's mailbox is configured to only accept mail from approved senders", .reason = "rejected", .evidence = "diagnostic:approved-senders-only" },
  { "IronPort's host access table", FAILED, .status = "5.7.1",
    .diagnostic = "550 #5.7.1 Your access to submit messages to this e-mail system has been rejected.", .reason = "blocked", .evidence = "diagnostic:ironport-hat-reject" },
  { "Cyrus cannot create a temporary file", FAILED, .status = "4.3.0",
    .diagnostic = "451 4.3.0 cannot create temporary file: No such file or directory", .reason = "systemerror", .evidence = "diagnostic:cannot-create-file" },
  { "a full disk beats the file it could not create", FAILED, .status = "4.3.0",
    .diagnostic = "451 4.3.0 cannot create temporary file: No space left on device", .reason = "systemfull", .evidence = "diagnostic:no-space-left" },
  /* A verdict on the sender under a mailbox code is no dead mailbox. */
  { "a blacklisted sender under 5.1.1", FAILED, .status = "5.1.1", .reply = "550",
    .diagnostic = "550 5.1.1 Recipient rejected: blacklisted sender",
    .reason = "rejected", .evidence = "diagnostic:sender-after-verdict" },
  { "an unauthorized sender address under 5.1.0", FAILED, .status = "5.1.0", .reply = "550",
    .diagnostic = "550 5.1.0 Unauthorized sender address",
    .reason = "rejected", .evidence = "diagnostic:sender-after-verdict" },
  /* A recipient that takes mail only from authenticated or internal
   * senders lives: the sender is refused, never a hard bounce. */
  { "a recipient refusing unauthenticated senders under 5.1.1", FAILED, .status = "5.1.1",
    .reply = "550", .diagnostic = "550 5.1.1 This recipient does not accept mail from unauthenticated senders",
    .reason = "rejected", .evidence = "diagnostic:recipient-refuses-unauthenticated" },
  { "an Exchange group open to its organization only", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 The group only accepts messages from people in its organization or on its allowed senders list",
    .reason = "rejected", .evidence = "diagnostic:exchange-group-internal-only" },
  { "a domain that takes no mail is still notaccept", FAILED, .reply = "556",
    .diagnostic = "556 5.1.10 Domain does not accept mail", .reason = "notaccept", .hard = TRUE,
    .evidence = "diagnostic:does-not-accept-mail" },
  /* Sendmail's MaxMessageSize is the system's limit whatever the code
   * (x.2.3): REASONS.md's 552 "message size exceeds" is mesgtoobig. */
  { "Sendmail's fixed maximum under x.2.3 is the system's limit", FAILED, .status = "5.2.3",
    .reply = "552", .diagnostic = "552 5.2.3 Message size exceeds fixed maximum message size (10485760)",
    .reason = "mesgtoobig", .evidence = "diagnostic:fixed-maximum-size" },
  /* Words that do not say whose limit go by x.2.3: the mailbox's. */
  { "size words with x.2.3 are the mailbox's limit", FAILED, .status = "5.2.3", .reply = "552",
    .diagnostic = "552 5.2.3 Message too big", .reason = "exceedlimit",
    .evidence = "diagnostic:message-too-big/mailbox-limit" },
  /* The registry's title of x.2.3 with its code is the per-recipient limit;
   * Courier's 523 without a code is its SIZELIMIT. */
  { "x.2.3's title with x.2.3 is the mailbox's limit", FAILED, .status = "5.2.3", .reply = "552",
    .diagnostic = "552 5.2.3 Message length exceeds administrative limit",
    .reason = "exceedlimit",
    .evidence = "diagnostic:message-length-exceeds-administrative-limit/mailbox-limit" },
  { "Courier's 523 administrative limit is the system's", FAILED, .reply = "523",
    .diagnostic = "523 Message length exceeds administrative limit",
    .reason = "mesgtoobig", .evidence = "diagnostic:message-length-exceeds-administrative-limit" },
  /* REASONS.md, "How to decide" 2: the text names the real cause, "e.g. a
   * 5.7.1 that says 'user unknown'". */
  { "policy code with 'user unknown' and no command: the text decides", FAILED, .status = "5.7.1",
    .reply = "550", .diagnostic = "550 5.7.1 <u@example.org>: Recipient address rejected: User unknown",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:recipient-rejected-unknown" },
  { "policy code with 'user unknown' in reply to RCPT TO stays userunknown", FAILED, .status = "5.7.1",
    .reply = "550", .diagnostic = "SMTP error from remote mail server after RCPT TO:<u@example.org>: 550 5.7.1 User unknown",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "mailbox-status code (x.2.1) with 'User Unknown' and no command: a filter's answer", FAILED,
    .status = "5.2.1", .reply = "550", .diagnostic = "550 5.2.1 <u@example.org>... User Unknown",
    .reason = "filtered", .evidence = "diagnostic:user-unknown/mailbox-status-code" },
  { "Exim: x.2.1 'User Unknown' after RCPT TO stays userunknown", FAILED,
    .status = "5.2.1", .reply = "550",
    .diagnostic = "SMTP error from remote mail server after RCPT TO:<u@example.org>: 550 5.2.1 <u@example.org>... User Unknown",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "the notice's command decides when the diagnostic names none: MAIL FROM", FAILED,
    .status = "5.7.1", .reply = "550", .command = "MAIL", .diagnostic = "550 5.7.1 Access denied",
    .reason = "rejected", .evidence = "diagnostic:access-denied/mail-from" },
  { "the notice's command: refused after EHLO", FAILED, .status = "5.0.0", .reply = "550",
    .command = "EHLO", .diagnostic = "550 Rejected", .reason = "blocked", .evidence = "command:helo" },
  { "the diagnostic's own command cue wins over the notice's", FAILED, .status = "5.0.0",
    .reply = "550", .command = "RCPT",
    .diagnostic = "host mx.example.org[192.0.2.2] said: 550 User unknown (in reply to end of DATA command)",
    .reason = "filtered", .evidence = "diagnostic:user-unknown/after-data" },
  { "lookup wording with no mailbox code and no command: the server's own answer", FAILED,
    .reply = "550", .diagnostic = "550 <u@example.org>... User not exist",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "lookup wording confirmed by a mailbox-address code (x.1.x)", FAILED, .status = "5.1.1",
    .reply = "550", .diagnostic = "550 5.1.1 <u@example.org>... User not exist",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "lookup wording in reply to RCPT TO", FAILED, .reply = "550", .command = "RCPT",
    .diagnostic = "550 Recipient not found", .reason = "userunknown", .hard = TRUE,
    .evidence = "diagnostic:user-unknown" },
  { "'User unknown' is the mailbox host's verdict, not a lookup's", FAILED, .status = "5.0.0",
    .reply = "550", .diagnostic = "550 <u@example.org>: User unknown",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "Gmail-style NXDOMAIN under a transient 4.0.0: networkerror, soft", FAILED, .status = "4.0.0",
    .diagnostic = "DNS Error: 1234 DNS type 'mx' lookup of typo.example responded with code NXDOMAIN Domain name not found: typo.example",
    .reason = "networkerror", .evidence = "diagnostic:domain-not-found/transient-dns" },
  { "NXDOMAIN under a permanent 5.x.x status stays hostunknown", FAILED, .status = "5.0.0",
    .diagnostic = "DNS Error: 1234 DNS type 'mx' lookup of typo.example responded with code NXDOMAIN Domain name not found: typo.example",
    .reason = "hostunknown", .hard = TRUE, .evidence = "diagnostic:domain-not-found" },
  { "a server naming the host that does not exist", FAILED, .reply = "553",
    .diagnostic = "SMTP error from remote mail server after end of data: 553 mail.example.com does not exist",
    .reason = "hostunknown", .hard = TRUE, .evidence = "diagnostic:named-host-does-not-exist" },
  { "an address that 'does not exist' is no host name", FAILED, .reply = "553",
    .diagnostic = "553 u@example.com does not exist", .reason = "onhold", .evidence = NULL },
  { "a word without a dot that 'does not exist' is no host name", FAILED, .reply = "553",
    .diagnostic = "553 folder does not exist", .reason = "onhold", .evidence = NULL },
  { "Sendmail transcript: mail.local's verdict before a generic 554", .kind = BOUNCE_KIND_LEGACY,
    .action = "failed", .status = "5.5.0", .reply = "554",
    .diagnostic = "mail.local: unknown user: former 554 <former@example.net>... Service unavailable",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:mail-local-unknown-user" },
  { "au: a recipient refused with no reply: its reception filter", .kind = BOUNCE_KIND_LEGACY,
    .action = "failed", .recipient = "u@ezweb.ne.jp",
    .diagnostic = "Each of the following recipients was rejected by a remote mail server.",
    .reason = "filtered", .evidence = "diagnostic:au-rejected-no-reply" },
  { "au: the same sentence with the reply to RCPT TO: the reply decides", .kind = BOUNCE_KIND_LEGACY,
    .action = "failed", .recipient = "u@ezweb.ne.jp", .reply = "550",
    .diagnostic = "Each of the following recipients was rejected by a remote mail server. >>> RCPT TO:<u@ezweb.ne.jp> <<< 550 <u@ezweb.ne.jp>: User unknown",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:user-unknown" },
  { "the au sentence from another domain decides nothing", .kind = BOUNCE_KIND_LEGACY,
    .action = "failed", .recipient = "u@example.org",
    .diagnostic = "Each of the following recipients was rejected by a remote mail server.",
    .reason = "onhold", .evidence = NULL },
  { "fml: a Message-ID seen before (loop guard)", .kind = BOUNCE_KIND_LEGACY, .action = "failed",
    .diagnostic = "Duplicated Message-ID in <m1@example.org>.", .reason = "systemerror",
    .evidence = "diagnostic:duplicated-message-id" },
  { "' : User unknown' after DATA from a carrier: its reception filter", FAILED, .status = "5.0.0",
    .reply = "550", .diagnostic = "550 : User unknown", .remote_mta = "msmx.au.com",
    .reason = "filtered", .evidence = "diagnostic:carrier-reception-filter" },
};

/* ---- providers ---------------------------------------------------------------- */

static const Case provider_cases[] = {
  { "Gmail multi-line reply: phrase across a continuation", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550-5.7.1 [192.0.2.1] Messages with multiple 550 5.7.1 addresses in From: header are not accepted.",
    .reason = "notcompliantrfc", .evidence = "diagnostic:duplicate-headers" },
  { "Gmail: PTR record", FAILED, .status = "5.7.25", .reply = "550",
    .diagnostic = "550-5.7.25 [192.0.2.2] The IP address sending this message does not have a 550-5.7.25 PTR record setup",
    .reason = "requireptr", .evidence = "diagnostic:reverse-dns" },
  { "Outlook.com: 5.7.509 DMARC", FAILED, .status = "5.7.509", .reply = "550",
    .diagnostic = "550 5.7.509 Access denied, sending domain [EXAMPLE.COM] does not pass DMARC verification and has a DMARC policy of reject.",
    .reason = "authfailure", .evidence = "diagnostic:did-not-pass-authentication" },
  { "Outlook.com: banned sending IP by code range alone", FAILED, .status = "5.7.607", .reply = "550",
    .diagnostic = "550 5.7.607", .reason = "blocked", .evidence = "status:5.7.607" },
  { "Exchange Online: 5.1.10 recipient not found is not a null MX", FAILED, .status = "5.1.10",
    .reply = "550", .diagnostic = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:exchange-recipient-not-found-lookup" },
  { "Exchange Online: DBEB 5.4.1 access denied", FAILED, .status = "5.4.1", .reply = "550",
    .diagnostic = "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
    .remote_mta = "example-org.mail.protection.outlook.com",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:microsoft-dbeb-access-denied" },
  { "Outlook.com: mailbox unavailable from its own hosts", FAILED, .status = "5.5.0", .reply = "550",
    .diagnostic = "550 Requested action not taken: mailbox unavailable (-1:2:-3)",
    .remote_mta = "mx1.hotmail.com", .recipient = "u@hotmail.com",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:outlook-mailbox-unavailable-host" },
  { "GMX: mailbox unavailable from its own hosts", FAILED, .reply = "550",
    .diagnostic = "550 <bob@gmx.de>: Requested action not taken: mailbox unavailable",
    .remote_mta = "mx00.emig.gmx.net", .recipient = "bob@gmx.de",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:gmx-mailbox-unavailable-host" },
  { "IONOS: the same words with a policy reason are no dead address", FAILED, .reply = "550",
    .diagnostic = "550 Requested action not taken: mailbox unavailable / Reject due to policy restrictions",
    .remote_mta = "mx00.kundenserver.de", .recipient = "bob@online.de",
    .reason = "policyviolation", .evidence = "diagnostic:policy-violation" },
  { "elsewhere the generic words alone are soft", FAILED, .reply = "550",
    .diagnostic = "550 Requested action not taken: mailbox unavailable",
    .remote_mta = "mx.example.org", .recipient = "bob@example.org",
    .reason = "filtered", .evidence = "diagnostic:mailbox-unavailable/generic-text" },
  { "Yahoo: policy reasons", FAILED, .status = "5.7.9", .reply = "554",
    .diagnostic = "554 5.7.9 Message not accepted for policy reasons.",
    .reason = "policyviolation", .evidence = "diagnostic:rejected-by-policy" },
  { "Tencent QQ: connection frequency", FAILED, .reply = "550",
    .diagnostic = "550 Connection frequency limited. http://service.mail.qq.com/",
    .reason = "toomanyconn", .evidence = "diagnostic:qq-frequency-limited" },
  { "Cox: AUP code for DNS", FAILED, .status = "5.7.1", .reply = "554",
    .diagnostic = "554 5.7.1 cox.net rejected: AUP#CXDNS", .reason = "requireptr",
    .evidence = "diagnostic:cox-aol-dns-codes" },
  { "Spectrum: 13xx limits", FAILED, .status = "5.1.0", .reply = "550",
    .diagnostic = "550 5.1.0 <s@example.com> sender rejected. AUP#In-1310",
    .reason = "toomanyconn", .evidence = "diagnostic:cox-spectrum-connection-codes" },
  { "Amazon SES: account suppression list", FAILED, .status = "5.1.1",
    .diagnostic = "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
    .reason = "suppressed", .evidence = "diagnostic:suppression-list" },
  { "Gmail: over quota with a temporary code", .kind = BOUNCE_KIND_DSN, .action = "delayed",
    .status = "4.2.2", .reply = "452",
    .diagnostic = "452-4.2.2 The email account that you tried to reach is over quota. https://support.google.com/mail/?p=OverQuotaTemp",
    .reason = "mailboxfull", .evidence = "diagnostic:over-quota" },
  { "Gmail: unauthenticated sender", FAILED, .status = "5.7.26", .reply = "550",
    .diagnostic = "550-5.7.26 This mail has been blocked because the sender is unauthenticated.",
    .reason = "authfailure", .evidence = "diagnostic:sender-is-unauthenticated" },
  { "Outlook.com: IP reputation rate limit", .kind = BOUNCE_KIND_DSN, .action = "delayed",
    .status = "4.7.650", .reply = "451",
    .diagnostic = "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation.",
    .reason = "badreputation", .evidence = "diagnostic:due-to-reputation" },
  { "Exchange: relay access denied under 5.4.1", FAILED, .status = "5.4.1", .reply = "550",
    .diagnostic = "550 5.4.1 Relay Access Denied ATTR36", .reason = "norelaying",
    .evidence = "diagnostic:relay-denied" },
  { "Yahoo: no such account", FAILED, .status = "5.0.0", .reply = "554",
    .diagnostic = "554 delivery error: dd This user doesn't have a yahoo.com account (u@yahoo.com) [0]",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:yahoo-no-account" },
  { "Comcast: DNSBL listing", FAILED, .status = "5.0.0", .reply = "554",
    .diagnostic = "554 resimta.comcast.net comcast 192.0.2.1 found on one or more DNSBLs",
    .reason = "blocked", .evidence = "diagnostic:blacklisted" },
  { "Postfix: greylisting", .kind = BOUNCE_KIND_DSN, .action = "delayed", .status = "4.2.0",
    .reply = "450", .diagnostic = "450 4.2.0 <u@example.org>: Recipient address rejected: Greylisted",
    .reason = "blocked", .evidence = "diagnostic:greylisted" },
  { "Postfix: temporary DNS failure", .kind = BOUNCE_KIND_DSN, .action = "delayed", .status = "4.4.3",
    .diagnostic = "Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again",
    .reason = "networkerror", .evidence = "diagnostic:host-not-found-try-again" },
  { "Exim: the cause wins over the expiry", .kind = BOUNCE_KIND_LEGACY, .action = "failed",
    .diagnostic = "mailbox is full: retry timeout exceeded", .reason = "mailboxfull",
    .evidence = "diagnostic:mailbox-full" },
  { "amavis: infected content", FAILED, .status = "5.7.0", .reply = "554",
    .diagnostic = "554 5.7.0 Reject, id=11111-11 - INFECTED: Eicar-Test-Signature",
    .reason = "virusdetected", .evidence = "diagnostic:virus" },
  { "policy code with RFC 5321's 'mailbox unavailable'", FAILED, .status = "5.7.1", .reply = "550",
    .diagnostic = "550 5.7.1 Requested action not taken: mailbox unavailable",
    .reason = "filtered", .evidence = "diagnostic:mailbox-unavailable/policy-code" },
  { "RFC 5321's 'mailbox unavailable' alone: not proof of a dead address", FAILED, .reply = "550",
    .diagnostic = "Invalid Address, ERROR_CODE :550, ERROR_CODE :Requested action not taken: mailbox unavailable",
    .reason = "filtered", .evidence = "diagnostic:mailbox-unavailable/generic-text" },
  { "RFC 5321's 'mailbox unavailable' with 5.1.1 is userunknown", FAILED, .status = "5.1.1",
    .reply = "550", .diagnostic = "550 5.1.1 Requested action not taken: mailbox unavailable",
    .reason = "userunknown", .hard = TRUE, .evidence = "status:5.1.1" },
  { "RFC 5321's 'mailbox unavailable' in reply to RCPT TO is userunknown", FAILED, .reply = "550",
    .command = "RCPT", .diagnostic = "550 Requested action not taken: mailbox unavailable",
    .reason = "userunknown", .hard = TRUE, .evidence = "diagnostic:mailbox-unavailable" },
  { "Orange: refused for spam content", FAILED, .status = "5.2.0", .reply = "550",
    .diagnostic = "550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]",
    .reason = "spamdetected", .evidence = "diagnostic:orange-mail-rejete" },
};

static void
run_cases (gconstpointer data)
{
  const Case *const *table = data;

  for (const Case *c = table[0]; c < table[1]; c++)
    check_case (c, NULL);
}

/* ---- every built-in rule decides its own diagnostic ------------------------- */

/* A status that matches @p: any class 5, any part 0, a range's low end. */
static char *
code_instance (const ClassifyCodePattern *p)
{
  return g_strdup_printf ("%d.%d.%d", p->cls < 0 ? 5 : p->cls, p->subject < 0 ? 0 : p->subject,
                          p->detail_lo < 0 ? 0 : p->detail_lo);
}

static const char *
cue_for (ClassifyCommand command)
{
  for (guint i = 0; i < classify_n_command_cues; i++)
    if (classify_command_cues[i].command == command)
      return classify_command_cues[i].phrase;
  return NULL;
}

/* A text the rule's pattern matches. */
static char *
rule_example (const ClassifyRule *rule)
{
  if (rule->kind == CLASSIFY_MATCH_WORDS)
    return classify_pattern_example (rule->pattern);
  {
    g_autoptr(GString) out = g_string_new (NULL);
    for (guint k = 0; k < rule->n_parts; k++)
      {
        if (k > 0)
          g_string_append (out, " and ");
        g_string_append_len (out, rule->parts[k], (gssize) rule->part_len[k]);
      }
    return g_string_free (g_steal_pointer (&out), FALSE);
  }
}

static void
test_every_phrase_rule (void)
{
  guint checked = 0;

  for (guint i = 0; i < classify_builtin_rule_count (); i++)
    {
      const ClassifyRule *rule = classify_builtin_rule (i);
      g_autofree char *phrase = NULL;
      g_autofree char *status = NULL;
      g_autofree char *reply = NULL;
      g_autofree char *diagnostic = NULL;
      g_autofree char *remote = NULL;
      g_autofree char *expected = NULL;
      const char *cue;
      BounceRecipient *r;
      Case c = { rule->name, FAILED };
      g_autoptr(BounceReport) report = NULL;

      if ((rule->kind != CLASSIFY_MATCH_PHRASE && rule->kind != CLASSIFY_MATCH_WORDS)
          || !classify_reason_known (rule->reason))
        continue;
      checked++;
      phrase = rule_example (rule);
      status = rule->has_status ? code_instance (&rule->status) : NULL;
      reply = rule->reply_cond ? g_strdelimit (g_strdup (rule->reply_cond), "xX", '0') : NULL;
      expected = g_strdup_printf ("diagnostic:%s", rule->name);
      cue = rule->command ? cue_for (rule->command) : NULL;
      if (rule->hosts != NULL)
        remote = g_strconcat ("mx.", rule->hosts[0], NULL);
      /* A phrase may start with a blank: put a reply code before it. */
      diagnostic = g_strdup_printf ("%s%s550%s%s%s", cue ? cue : "", cue ? ": " : "",
                                    (rule->flags & CLASSIFY_AFTER_HOST) ? " mx.example.net" : "",
                                    phrase[0] == ' ' ? "" : " ", phrase);
      c.status = status;
      c.reply = reply;
      c.diagnostic = diagnostic;
      c.remote_mta = remote;
      report = report_for (&c, &r);
      classify_report (report, NULL);
      if (g_strcmp0 (r->evidence, expected) != 0 || g_strcmp0 (r->reason, rule->reason) != 0)
        {
          /* A refinement may take over; it must still name this rule. */
          if (r->evidence == NULL || !g_str_has_prefix (r->evidence, expected)
              || r->evidence[strlen (expected)] != '/')
            g_error ("rule %s (%s:%u): diagnostic \"%s\" gave %s (%s)", rule->name, rule->file,
                     rule->line, diagnostic, r->evidence, r->reason);
        }
    }
  g_assert_cmpuint (checked, >, 500);
}

static void
test_every_code_rule (void)
{
  guint checked = 0;

  for (guint i = 0; i < classify_builtin_rule_count (); i++)
    {
      const ClassifyRule *rule = classify_builtin_rule (i);
      g_autofree char *status = NULL;
      g_autofree char *expected = NULL;
      BounceRecipient *r;
      Case c = { rule->pattern_text, FAILED };
      g_autoptr(BounceReport) report = NULL;

      if (rule->kind != CLASSIFY_MATCH_STATUS)
        continue;
      checked++;
      status = code_instance (&rule->code);
      expected = g_strdup_printf ("status:%s", status);
      c.status = status;
      report = report_for (&c, &r);
      classify_report (report, NULL);
      if (g_strcmp0 (r->evidence, expected) != 0 || g_strcmp0 (r->reason, rule->reason) != 0)
        g_error ("status rule %s (%s:%u): status %s gave %s (%s), expected %s", rule->pattern_text,
                 rule->file, rule->line, status, r->evidence, r->reason, rule->reason);
    }
  g_assert_cmpuint (checked, >, 50);
}

static void
test_every_reply_rule (void)
{
  guint checked = 0;

  for (guint i = 0; i < classify_builtin_rule_count (); i++)
    {
      const ClassifyRule *rule = classify_builtin_rule (i);
      g_autofree char *expected = NULL;
      BounceRecipient *r;
      Case c = { rule->pattern_text, FAILED, .reply = rule->pattern_text };
      g_autoptr(BounceReport) report = NULL;

      if (rule->kind != CLASSIFY_MATCH_REPLY)
        continue;
      checked++;
      expected = g_strdup_printf ("reply-code:%s", rule->pattern_text);
      report = report_for (&c, &r);
      classify_report (report, NULL);
      g_assert_cmpstr (r->evidence, ==, expected);
      g_assert_cmpstr (r->reason, ==, rule->reason);
    }
  g_assert_cmpuint (checked, >, 5);
}

static void
test_tables (void)
{
  g_autoptr(GError) error = NULL;

  classify_check_tables (&error);
  g_assert_no_error (error);
  g_assert_true (classify_reason_known ("userunknown"));
  g_assert_false (classify_reason_known ("nosuchreason"));
  g_assert_nonnull (bounce_classifier_version ());
}

/* ---- code patterns and the matcher ------------------------------------------- */

static void
test_code_patterns (void)
{
  static const struct { const char *pattern; const char *status; gboolean ok; } cases[] = {
    { "5.1.1", "5.1.1", TRUE }, { "5.1.1", "4.1.1", FALSE }, { "x.7.26", "4.7.26", TRUE },
    { "x.7.26", "5.7.26", TRUE }, { "5.7.606-649", "5.7.606", TRUE }, { "5.7.606-649", "5.7.649", TRUE },
    { "5.7.606-649", "5.7.650", FALSE }, { "5.x.x", "5.4.7", TRUE }, { "x.1.x", "5.2.1", FALSE },
    { "5.1.1", NULL, FALSE }, { "5.1.1", "5.1.10", FALSE },
  };
  static const char *const invalid[] = {
    "", "5", "5.1", "6.1.1", "5.1.1.1", "5.1000.1", "5.7.649-606", "5.7.x-9", "a.b.c", "5.1.1 ",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ClassifyCodePattern p;
      g_assert_true (classify_code_parse (cases[i].pattern, &p));
      g_assert_cmpint (classify_code_match (&p, cases[i].status), ==, cases[i].ok);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      ClassifyCodePattern p = { 7, 7, 7, 7 };
      g_assert_false (classify_code_parse (invalid[i], &p));
      g_assert_cmpint (p.cls, ==, 7);   /* untouched on failure */
    }
  g_assert_true (classify_reply_match ("55x", "552"));
  g_assert_false (classify_reply_match ("55x", "452"));
  g_assert_true (classify_reply_match ("5xx", "521"));
  g_assert_false (classify_reply_valid ("5x"));
  g_assert_false (classify_reply_valid ("650"));
}

typedef struct {
  GString *seen;
} MatchLog;

static gboolean
log_match (guint id, gsize end, gpointer user_data)
{
  MatchLog *log = user_data;

  g_string_append_printf (log->seen, "%u@%" G_GSIZE_FORMAT " ", id, end);
  return TRUE;
}

/* Aho and Corasick's own example: overlapping and nested phrases. */
static void
test_matcher (void)
{
  static const char *const phrases[] = { "he", "she", "his", "hers" };
  g_autoptr(ClassifyMatcher) m = classify_matcher_new ();
  MatchLog log = { g_string_new (NULL) };

  for (guint i = 0; i < G_N_ELEMENTS (phrases); i++)
    classify_matcher_add (m, phrases[i], strlen (phrases[i]), i);
  classify_matcher_build (m);
  classify_matcher_scan (m, "ushers", 6, log_match, &log);
  /* "she" and "he" end at 4, "hers" at 6. */
  g_assert_cmpstr (log.seen->str, ==, "1@4 0@4 3@6 ");
  g_string_truncate (log.seen, 0);
  classify_matcher_scan (m, "xhisx", 5, log_match, &log);
  g_assert_cmpstr (log.seen->str, ==, "2@4 ");
  g_string_free (log.seen, TRUE);
}

/* ---- the normal form and word patterns ---------------------------------------- */

static void
test_normal_form (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "User UNKNOWN", "user unknown" },
    /* Latin letters with diacritics, ligatures (French, German, Polish). */
    { "Boîte du destinataire PLEINE", "boite du destinataire pleine" },
    { "Empfänger unbekannt, Straße", "empfanger unbekannt, strasse" },
    { "Adresat nie istnieje: skrzynka zapełniona", "adresat nie istnieje: skrzynka zapelniona" },
    { "Почтовый ящик удалён, ЁЖ", "почтовый ящик удален, еж" },
    { "Адресат не найден: й и ї остаются", "адресат не найден: й и ї остаются" },
    /* Typographic apostrophes and dashes; fullwidth Latin (Japanese mail). */
    { "couldn\u2019t be found \u2014 sorry", "couldn't be found - sorry" },
    { "\uff35\uff53\uff45\uff52 \uff55\uff4e\uff4b\uff4e\uff4f\uff57\uff4e", "user unknown" },
    /* Cyrillic is lower-cased; ideographs are kept. */
    { "\u041f\u043e\u043b\u044c\u0437\u043e\u0432\u0430\u0442\u0435\u043b\u044c \u043d\u0435 \u043d\u0430\u0439\u0434\u0435\u043d",
      "\u043f\u043e\u043b\u044c\u0437\u043e\u0432\u0430\u0442\u0435\u043b\u044c \u043d\u0435 \u043d\u0430\u0439\u0434\u0435\u043d" },
    { "\u5b9b\u5148\u4e0d\u660e", "\u5b9b\u5148\u4e0d\u660e" },
    /* Romanian comma-below, Vietnamese and Greek marks go; Greek final
     * sigma is sigma; Cyrillic й and kana が keep theirs. */
    { "C\u0103su\u021ba po\u0219tal\u0103 este plin\u0103", "casuta postala este plina" },
    { "H\u1ed9p th\u01b0 \u0111\u00e3 \u0111\u1ea7y", "hop thu da day" },
    { "\u039f \u03c0\u03b1\u03c1\u03b1\u03bb\u03ae\u03c0\u03c4\u03b7\u03c2 \u0394\u0395\u039d",
      "\u03bf \u03c0\u03b1\u03c1\u03b1\u03bb\u03b7\u03c0\u03c4\u03b7\u03c3 \u03b4\u03b5\u03bd" },
    { "\u0439 \u304c", "\u0439 \u304c" },
    /* Blanks collapse; a multi-line reply's repeated codes go (RFC 5321 4.2.1). */
    { "  550-5.7.1 The user\n550-5.7.1 you are trying  to reach\t", "550-5.7.1 the user you are trying to reach" },
    /* Invalid UTF-8 is kept byte for byte. */
    { "bad \xff byte", "bad \xff byte" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize len = strlen (cases[i].in);
      g_autofree char *out = g_malloc (2 * len + 1);

      classify_text_normalise (cases[i].in, len, out);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

static void
test_patterns (void)
{
  static const struct {
    const char *pattern;
    const char *text;
    gboolean match;
  } cases[] = {
    /* Words match whole words, separators between them are free. */
    { "user unknown", "550 5.1.1 <a@b>: User unknown in virtual table", TRUE },
    { "user unknown", "550 user-unknown", TRUE },
    { "user unknown", "550 superuser unknown", FALSE },
    { "user unknown", "550 user unknownness", FALSE },
    /* Stems. */
    { "relay* ... (denied|not permitted|prohibited)", "relaying is not permitted for this domain", TRUE },
    { "relay* ... (denied|not permitted|prohibited)", "Relay access denied", TRUE },
    { "relay* ... (denied|not permitted|prohibited)", "unrelayed mail denied", FALSE },
    /* Bounded gaps: "..." is up to five words, "...2" up to two. */
    { "mailbox ... full", "the mailbox of this user is currently full", TRUE },
    { "mailbox ... full", "mailbox one two three four five six full", FALSE },
    { "mailbox ...2 full", "mailbox is now full", TRUE },
    { "mailbox ...2 full", "mailbox is now really full", FALSE },
    /* Optional words and alternatives, nested. */
    { "(user|mailbox) [is] (unknown|not (found|known))", "Mailbox is not known here", TRUE },
    { "(user|mailbox) [is] (unknown|not (found|known))", "user not found", TRUE },
    { "(user|mailbox) [is] (unknown|not (found|known))", "user is known", FALSE },
    /* Accents and case do not matter on either side. */
    { "boîte ... pleine", "BOITE AUX LETTRES PLEINE", TRUE },
    { "empfanger unbekannt", "Empfänger unbekannt", TRUE },
    /* Terms split at punctuation: "e-mail" matches "e mail", "5.7.1" its digits. */
    { "e-mail address", "e mail address rejected", TRUE },
    { "couldn't be found", "couldn\u2019t be found", TRUE },
    /* Ideographs match without word boundaries; a gap counts characters. */
    { "\u5b58\u5728\u3057\u307e\u305b\u3093", "\u3053\u306e\u30e1\u30fc\u30eb\u30a2\u30c9\u30ec\u30b9\u306f\u5b58\u5728\u3057\u307e\u305b\u3093", TRUE },
    { "\u30a2\u30c9\u30ec\u30b9 ...3 \u5b58\u5728", "\u30a2\u30c9\u30ec\u30b9\u306f\u5b58\u5728\u3057\u307e\u305b\u3093", TRUE },
    /* Cyrillic stems. */
    { "\u043f\u043e\u043b\u044c\u0437\u043e\u0432\u0430\u0442\u0435\u043b* \u043d\u0435 \u043d\u0430\u0439\u0434\u0435\u043d",
      "\u041f\u043e\u043b\u044c\u0437\u043e\u0432\u0430\u0442\u0435\u043b\u044f \u043d\u0435 \u043d\u0430\u0439\u0434\u0435\u043d", TRUE },
  };
  static const struct { const char *pattern; const char *why; } bad[] = {
    { "", "empty" }, { "(a|)", "empty" }, { "a (b", "missing \")\"" }, { "a b]", "unbalanced" },
    { "... a", "gap" }, { "a ...", "gap" }, { "a ...0 b", "gap" }, { "a ...21 b", "gap" },
    { "[a] b", "must begin with a word" }, { "(a|[b]) c", "must begin with a word" },
    { "no* way", "stem" }, { "((((((((((a))))))))))", "nested" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *why = NULL;
      g_autoptr(ClassifyPattern) p = classify_pattern_compile (cases[i].pattern, &why);
      gsize len = strlen (cases[i].text), s, e;
      g_autofree char *text = g_malloc (2 * len + 1);

      if (p == NULL)
        g_error ("pattern \"%s\": %s", cases[i].pattern, why);
      len = classify_text_normalise (cases[i].text, len, text);
      if (classify_pattern_search (p, text, len, &s, &e) != cases[i].match)
        g_error ("pattern \"%s\" on \"%s\": expected %s", cases[i].pattern, cases[i].text,
                 cases[i].match ? "a match" : "none");
      /* The example of a pattern is matched by it. */
      {
        g_autofree char *example = classify_pattern_example (p);
        gsize elen = strlen (example);
        g_autofree char *norm = g_malloc (2 * elen + 1);
        elen = classify_text_normalise (example, elen, norm);
        g_assert_true (classify_pattern_search (p, norm, elen, &s, &e));
      }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *why = NULL;
      g_autoptr(ClassifyPattern) p = classify_pattern_compile (bad[i].pattern, &why);

      if (p != NULL || why == NULL || strstr (why, bad[i].why) == NULL)
        g_error ("bad pattern \"%s\": got %s, expected an error with \"%s\"", bad[i].pattern,
                 why ? why : "no error", bad[i].why);
    }
}

/* ---- permanence: a status for every failed recipient ------------------------------ */

static void
test_notice_permanence (void)
{
  /* The notices' own words, as the MTAs and providers named write them. */
  static const struct {
    const char *name;
    const char *subject;
    const char *body;
    char cls;
  } cases[] = {
    { "Postfix bounce(8) failure", "Undelivered Mail Returned to Sender",
      "I'm sorry to have to inform you that your message could not be delivered to one or more recipients.", '5' },
    { "Postfix bounce(8) delay", "Delayed Mail (still being retried)",
      "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
      "Your message could not be delivered for more than 4 hour(s). It will be retried until it is 5 day(s) old.", '4' },
    { "qmail-send failure", "failure notice",
      "Hi. This is the qmail-send program at example.com. I'm afraid I wasn't able to deliver your "
      "message to the following addresses. This is a permanent error; I've given up. Sorry it didn't work out.", '5' },
    { "Exim failure", "Mail delivery failed: returning message to sender",
      "This message was created automatically by mail delivery software. A message that you sent could "
      "not be delivered to one or more of its recipients. This is a permanent error.", '5' },
    { "Exim delay warning", "Warning: message 1abc-000 delayed 24 hours",
      "A message that you sent has not yet been delivered to one or more of its recipients after more than "
      "24 hours on the queue. No action is required on your part. Delivery attempts will continue for some "
      "time, and this warning may be repeated at intervals if the message remains undelivered. Eventually "
      "the mail delivery software will give up, and when that happens, the message will be returned to you.", '4' },
    { "Sendmail failure", "Returned mail: see transcript for details",
      "----- The following addresses had permanent fatal errors -----", '5' },
    { "Sendmail delay", "Warning: could not send message for past 4 hours",
      "THIS IS A WARNING MESSAGE ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. Will keep trying until message is 5 days old", '4' },
    { "Exchange failure", "Undeliverable: Quarterly report", "Delivery has failed to these recipients or groups:", '5' },
    { "Exchange delay", "Delivery delayed: Quarterly report", "Delivery to the following recipients has been delayed.", '4' },
    { "Exim retry time", "Mail delivery failed", "retry timeout exceeded", '5' },
    { "German failure", "Unzustellbar: Angebot", "Die Nachricht konnte nicht zugestellt werden.", '5' },
    { "German delay", "Zustellung verzogert", "Die Zustellung wurde verzögert; es wird weiterhin versucht.", '4' },
    { "French failure", "Non remis : Offre", "Votre message n'a pas pu être remis au destinataire.", '5' },
    { "French delay", "Remise différée", "La remise du message a été retardée, nouvelle tentative plus tard.", '4' },
    { "Spanish failure", "No se pudo entregar", "No se ha podido entregar el mensaje: error permanente.", '5' },
    { "Portuguese failure", "Mensagem nao entregue", "Não foi possível entregar a mensagem.", '5' },
    { "Italian failure", "Mancata consegna", "Non è stato possibile consegnare il messaggio.", '5' },
    { "Japanese failure", "\u914d\u4fe1\u4e0d\u80fd", "\u30e1\u30fc\u30eb\u3092\u914d\u4fe1\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f\u3002", '5' },
    { "Japanese delay", "\u914d\u4fe1\u9045\u5ef6", "\u914d\u4fe1\u304c\u9045\u5ef6\u3057\u3066\u3044\u307e\u3059\u3002", '4' },
    { "Chinese failure", "\u9000\u4fe1", "\u90ae\u4ef6\u65e0\u6cd5\u6295\u9012", '5' },
    { "Russian failure", "\u041d\u0435 \u0434\u043e\u0441\u0442\u0430\u0432\u043b\u0435\u043d\u043e",
      "\u0421\u043e\u043e\u0431\u0449\u0435\u043d\u0438\u0435 \u043d\u0435 \u043c\u043e\u0436\u0435\u0442 \u0431\u044b\u0442\u044c \u0434\u043e\u0441\u0442\u0430\u0432\u043b\u0435\u043d\u043e", '5' },
    { "nothing said", "Hello", "Here is the text you asked for.", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BounceReport) report = bounce_report_new ();

      classify_notice_permanence (report, cases[i].subject, cases[i].body, strlen (cases[i].body));
      if (report->notice_class != cases[i].cls)
        g_error ("%s: class %c, expected %c", cases[i].name, report->notice_class ? report->notice_class : '-',
                 cases[i].cls ? cases[i].cls : '-');
    }
}

static void
test_inferred_status (void)
{
  static const struct {
    const char *name;
    BounceKind kind;
    const char *action;
    const char *status;
    const char *reply;
    const char *diagnostic;
    char notice_class;
    const char *expected_status;
    const char *expected_source;
  } cases[] = {
    { "the server's code stands", BOUNCE_KIND_DSN, "failed", "5.1.1", "550", "User unknown", 0, "5.1.1", NULL },
    { "a reply code gives the class, the reason the rest", BOUNCE_KIND_LEGACY, "failed", NULL, "550",
      "550 User unknown", 0, "5.1.1", "reply-code" },
    { "a 4xx reply over a 'failed' default", BOUNCE_KIND_LEGACY, "failed", NULL, "452",
      "452 mailbox full", 0, "4.2.2", "reply-code" },
    { "a delayed notice", BOUNCE_KIND_LEGACY, "delayed", NULL, NULL, "connect to mx.example.org: Connection refused", '5', "4.4.0", "notice" },
    { "the notice's words", BOUNCE_KIND_LEGACY, "failed", NULL, NULL, "user unknown", '4', "4.1.1", "notice" },
    { "a DSN's Action: failed without a Status", BOUNCE_KIND_DSN, "failed", NULL, NULL, NULL, 0, "5.0.0", "notice" },
    { "nothing but the reason", BOUNCE_KIND_LEGACY, "failed", NULL, NULL, "mailbox is full", 0, "5.2.2", "reason" },
    { "a reason without a registered code", BOUNCE_KIND_LEGACY, "failed", NULL, NULL,
      "message refused: policy", 0, "5.7.1", "reason" },
    { "a delivery needs no status", BOUNCE_KIND_DSN, "delivered", NULL, NULL, NULL, 0, NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BounceReport) report = bounce_report_new ();
      BounceRecipient *r = bounce_report_add_recipient (report);

      report->kind = cases[i].kind;
      report->notice_class = cases[i].notice_class;
      r->recipient = "user@example.org";
      r->action = cases[i].action;
      r->status = cases[i].status;
      r->reply_code = cases[i].reply;
      r->diagnostic = cases[i].diagnostic;
      classify_report (report, NULL);
      if (g_strcmp0 (r->status, cases[i].expected_status) != 0
          || g_strcmp0 (r->status_source, cases[i].expected_source) != 0)
        g_error ("%s: got %s (%s), expected %s (%s)", cases[i].name, r->status, r->status_source,
                 cases[i].expected_status, cases[i].expected_source);
      /* Classified again, the inferred status is not taken for the server's. */
      classify_report (report, NULL);
      g_assert_cmpstr (r->status_source, ==, cases[i].expected_source);
    }
}

/* ---- local rules files ------------------------------------------------------- */

static char *
write_rules (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  return path;
}

static void
test_local_rules (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-classify-XXXXXX", &error);
  g_autofree char *first = NULL, *second = NULL;
  g_autoptr(BounceRules) rules = bounce_rules_new ();
  g_autofree char *ev_phrase = NULL, *ev_status = NULL, *ev_reply = NULL, *ev_order = NULL;
  g_autofree char *ev_command = NULL;

  g_assert_no_error (error);
  first = write_rules (dir, "first.rules",
    "# mailbox provider of our own: a generic code that means full\n"
    "\n"
    "mailboxfull  phrase  \"Storage Exhausted\"  host=mx.example.net\n"
    "   blocked\tstatus\t5.7.650-699\n"
    "hostunknown reply 556 status=5.x.x\n"
    "userunknown phrase \"no \\\"such\\\" box\"\n"
    "suspend phrase \"frozen * by admin\" command=rcpt\n"
    "systemfull words \"(disk|spool) ...3 full\" name=our-storage unless=\"quota\"\n");
  second = write_rules (dir, "second.rules",
    "\xEF\xBB\xBF" "spamdetected phrase \"storage exhausted\"\n"
    "policyviolation phrase \"user unknown\" host=corp.example.com|example.net\n");
  g_assert_true (bounce_rules_load (rules, first, &error));
  g_assert_no_error (error);
  g_assert_true (bounce_rules_load (rules, second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bounce_rules_count (rules), ==, 8);

  ev_phrase = g_strdup_printf ("local:%s:3", first);
  ev_status = g_strdup_printf ("local:%s:4", first);
  ev_reply = g_strdup_printf ("local:%s:5", first);
  ev_order = g_strdup_printf ("local:%s:2", second);
  ev_command = g_strdup_printf ("local:%s:7", first);
  {
    const Case cases[] = {
      { "local phrase with host, case-insensitive", FAILED, .status = "5.7.1", .reply = "550",
        .diagnostic = "550 5.7.1 STORAGE EXHAUSTED for user", .remote_mta = "in1.mx.example.net",
        .reason = "mailboxfull", .evidence = ev_phrase },
      { "same phrase, other host: the later file's rule", FAILED, .status = "5.7.1",
        .diagnostic = "storage exhausted", .remote_mta = "mx.example.org",
        .reason = "spamdetected", .evidence = g_strdup_printf ("local:%s:1", second) },
      { "local status range beats the built-in code table", FAILED, .status = "5.7.655",
        .reason = "blocked", .evidence = ev_status },
      { "local reply rule with a status condition", FAILED, .status = "5.0.0", .reply = "556",
        .reason = "hostunknown", .hard = TRUE, .evidence = ev_reply },
      { "local rule beats the built-in text", FAILED, .status = "5.1.1",
        .diagnostic = "550 5.1.1 user unknown", .recipient = "u@corp.example.com",
        .reason = "policyviolation", .evidence = ev_order },
      { "local gap phrase needs its command", FAILED, .status = "5.2.1",
        .diagnostic = "after RCPT TO: 550 account frozen today by admin",
        .reason = "suspend", .evidence = ev_command },
      { "local gap phrase without its command does not apply", FAILED, .status = "5.2.1",
        .diagnostic = "550 account frozen today by admin",
        .reason = "suspend", .evidence = "diagnostic:account-disabled" },
      { "local word rule with its name in the evidence", FAILED, .status = "4.3.1",
        .diagnostic = "452 Disk of the spool server full", .reason = "systemfull",
        .evidence = "local:our-storage" },
      { "local word rule, its unless= words present: the built-in rule", FAILED, .status = "5.2.2",
        .diagnostic = "552 disk quota full", .reason = "mailboxfull",
        .evidence = "diagnostic:quota-exceeded" },
      { "no local rule applies: built-in", FAILED, .status = "5.1.1",
        .diagnostic = "550 5.1.1 user unknown", .reason = "userunknown", .hard = TRUE,
        .evidence = "diagnostic:user-unknown" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      check_case (&cases[i], rules);
    g_free ((char *) cases[1].evidence);
  }
  {
    Case quoted = { "quoted phrase with escapes", FAILED, .diagnostic = "550 No \"Such\" Box here",
                    .reason = "userunknown", .hard = TRUE };
    g_autofree char *ev = g_strdup_printf ("local:%s:6", first);
    quoted.evidence = ev;
    check_case (&quoted, rules);
  }
  g_unlink (first);
  g_unlink (second);
  g_rmdir (dir);
}

static void
test_local_rules_bad (void)
{
  static const struct { const char *text; const char *error; } cases[] = {
    { "nosuchreason phrase \"x\"\n", ":1: unknown reason: \"nosuchreason\"" },
    { "# ok\nblocked regex \"x\"\n", ":2: unknown match kind" },
    { "blocked phrase \"unterminated\n", ":1: unterminated quoted string" },
    { "blocked phrase\n", ":1: expected REASON KIND PATTERN" },
    { "blocked status 5.7\n", ":1: invalid status pattern" },
    { "blocked status 6.1.1\n", ":1: invalid status pattern" },
    { "blocked reply 55\n", ":1: invalid reply pattern" },
    { "blocked phrase x host=\n", ":1: expected a condition NAME=VALUE: \"host=\"" },
    { "blocked phrase x colour=red\n", ":1: unknown condition" },
    { "blocked phrase x command=quit\n", ":1: unknown command" },
    { "blocked phrase \"a *  * b\"\n", ":1: empty phrase" },
    { "blocked phrase \"\"\n", ":1: empty phrase" },
    { "blocked phrase x status=5.1\n", ":1: invalid status pattern" },
    { "blocked phrase x reply=abc\n", ":1: invalid reply pattern" },
    { "blocked phrase x host=a||b\n", ":1: empty host suffix" },
    { "blocked words \"(a|b\"\n", ":1: missing \")\"" },
    { "blocked words \"... a\"\n", ":1: a gap" },
    { "blocked words x unless=\"[y]\"\n", ":1: a pattern must begin with a word" },
    { "blocked words x priority=high\n", ":1: priority orders the built-in rules" },
    { "blocked words x flags=weak\n", ":1: flags weak, lookup and vague" },
    { "blocked words x flags=shiny\n", ":1: unknown flag" },
    { "blocked words x name=\"a b\"\n", ":1: a rule name is" },
    { "permanent words \"giving up\"\n", ":1: unknown reason" },
    { "blocked status 5.7.1 unless=x\n", ":1: unless= is for rules that read words" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-classify-XXXXXX", &error);

  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_rules (dir, "bad.rules", cases[i].text);
      g_autoptr(BounceRules) rules = bounce_rules_new ();
      g_autoptr(GError) err = NULL;

      g_assert_false (bounce_rules_load (rules, path, &err));
      g_assert_error (err, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED);
      if (!g_str_has_prefix (err->message, path) || strstr (err->message, cases[i].error) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": message \"%s\", expected \"%s%s...\"", i,
                 err->message, path, cases[i].error);
      /* A bad file adds nothing. */
      g_assert_cmpuint (bounce_rules_count (rules), ==, 0);
      g_unlink (path);
    }
  {
    g_autofree char *missing = g_build_filename (dir, "missing.rules", NULL);
    g_autoptr(BounceRules) rules = bounce_rules_new ();
    g_autoptr(GError) err = NULL;

    g_assert_false (bounce_rules_load (rules, missing, &err));
    g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull (strstr (err->message, missing));
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  static const Case *const order[] = { order_cases, order_cases + G_N_ELEMENTS (order_cases) };
  static const Case *const hard[] = { hard_cases, hard_cases + G_N_ELEMENTS (hard_cases) };
  static const Case *const command[] = { command_cases, command_cases + G_N_ELEMENTS (command_cases) };
  static const Case *const provider[] = { provider_cases, provider_cases + G_N_ELEMENTS (provider_cases) };
  static const Case *const notice[] = { notice_cases, notice_cases + G_N_ELEMENTS (notice_cases) };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/classify/tables", test_tables);
  g_test_add_func ("/classify/code-patterns", test_code_patterns);
  g_test_add_func ("/classify/matcher", test_matcher);
  g_test_add_func ("/classify/normal-form", test_normal_form);
  g_test_add_func ("/classify/patterns", test_patterns);
  g_test_add_func ("/classify/permanence/notice", test_notice_permanence);
  g_test_add_func ("/classify/permanence/inferred-status", test_inferred_status);
  g_test_add_data_func ("/classify/order", order, run_cases);
  g_test_add_data_func ("/classify/hard-bounce", hard, run_cases);
  g_test_add_data_func ("/classify/command", command, run_cases);
  g_test_add_data_func ("/classify/providers", provider, run_cases);
  g_test_add_data_func ("/classify/notice", notice, run_cases);
  g_test_add_func ("/classify/rules/every-phrase-rule", test_every_phrase_rule);
  g_test_add_func ("/classify/rules/every-code-rule", test_every_code_rule);
  g_test_add_func ("/classify/rules/every-reply-rule", test_every_reply_rule);
  g_test_add_func ("/classify/local-rules/good", test_local_rules);
  g_test_add_func ("/classify/local-rules/bad", test_local_rules_bad);
  return g_test_run ();
}
