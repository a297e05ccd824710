/* legacy-provider.c - plain-text notices of mailbox providers and sending
 * services (Microsoft, Google, Yahoo, Amazon SES, mail.ru, GMX, Zoho, ...)
 *
 * Large providers answer in RFC 3464 DSNs most of the time; these
 * recognisers read the notices they send when they do not (or when the
 * status part of their DSN is empty), by the layout each of them uses:
 *
 *   exchange2007/office365  "Diagnostic information for administrators:",
 *                           one block per recipient: the address, then
 *                           "Remote Server returned '550 5.1.1 ...'" or
 *                           "#550 5.1.1 RESOLVER...##".
 *   exchange2003            "did not reach the following recipient(s):",
 *                           "addr on DATE" then indented MSEXCH lines.
 *   outlook                 Outlook.com/Hotmail: "Delivery to the following
 *                           recipients failed." and indented addresses.
 *   gmail                   "Delivery to the following recipient(s) failed
 *                           permanently:" / "has been delayed:", indented
 *                           addresses, then "Technical details of ...".
 *   googleworkspace         "** Address not found **"-like title, "Your
 *                           message wasn't delivered to ADDR", "The
 *                           response was:".
 *   yahoo                   "Sorry, we were unable to deliver your message
 *                           to the following address.", "<addr>:" blocks.
 *   amazonses (JSON)        SNS/SES notifications with notificationType
 *                           "Bounce" and bouncedRecipients.
 *   amazonses/amazonworkmail "An error occurred while trying to deliver the
 *                           mail to the following recipients:", followed by
 *                           a "Technical report:" of DSN fields.
 *   receivingses            SES receiving for a domain: "This message could
 *                           not be delivered." and the returned headers.
 *   mailru                  Exim's layout, with a Russian preamble.
 *   gmx/einsundeins         "addr:" or "\"addr\":" then "SMTP error from
 *                           remote server ...", "host: ...".
 *   zoho                    "addr Invalid Address, ERROR_CODE :550, ..."
 *                           and the delay form "[Status: ..., Address:
 *                           <addr>, ResponseCode 421, ...]".
 *
 * Yandex, Apple, AOL and other providers that run Postfix, Sendmail or Exim
 * send those MTAs' texts, which legacy-mta.c reads.
 *
 * Every recogniser checks a cheap gate first (sender, a header, one marker
 * phrase), because all of them run, in order, on every message that is
 * neither a DSN nor a feedback report; the text layouts are only read in
 * mailer-daemon notices (legacy_is_daemon_notice()), so that ordinary mail
 * quoting a provider's phrase is never taken for a bounce.
 * Invariants: recipients come only from the part of the notice that lists
 * failures, never from the quoted returned message; the sender and
 * postmaster are refused by legacy_add().
 *
 * The recognisers live in legacy-provider-microsoft.c, -google.c, -amazon.c
 * and -webmail.c; this file holds their table.
 */
#include "legacy-provider-private.h"

/* Most specific first: markers that only one provider writes, then the
 * ones gated by the sender's domain. */
const LegacyEntry legacy_provider_table[] = {
  { "amazonses", legacy_amazonses_json_recognise },
  { "amazonworkmail", legacy_amazonworkmail_recognise },
  { "amazonses", legacy_amazonses_recognise },
  { "receivingses", legacy_receivingses_recognise },
  { "office365", legacy_office365_recognise },
  { "exchange2007", legacy_exchange2007_recognise },
  { "exchange2003", legacy_exchange2003_recognise },
  { "outlook", legacy_outlook_recognise },
  { "gmail", legacy_gmail_recognise },
  { "googleworkspace", legacy_googleworkspace_recognise },
  { "yahoo", legacy_yahoo_recognise },
  { "mailru", legacy_mailru_recognise },
  { "gmx", legacy_gmx_recognise },
  { "einsundeins", legacy_einsundeins_recognise },
  { "zoho", legacy_zoho_recognise },
  { NULL, NULL },
};
