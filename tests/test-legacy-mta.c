/* test-legacy-mta.c - the recognisers of MTA software notices
 *
 * Table-driven: each case is a short notice written in the layout the
 * software produces (Postfix bounce(8) templates, Sendmail savemail.c,
 * Exim deliver.c, qmail-send.c, Courier, OpenSMTPD bounce.c, dma, and the
 * gateways' and carriers' templates), with the recipients, actions, status
 * and reply codes and remote MTAs that must come out of it, in order.
 * The generic fallback (legacy-generic.c) has cases of its own; negative
 * cases check that ordinary mail quoting a marker is not claimed.
 * A second group tests the helpers of legacy-util.c directly.
 */
#include "bounce-private.h"
#include "legacy-private.h"

#include <string.h>

#define CASE_MAX_RECIPIENTS 4

typedef struct {
  const char *recipient;
  const char *action;
  const char *status;
  const char *reply_code;
  const char *remote_mta;
} Expected;

typedef struct {
  const char *name;      /* what the case shows */
  const char *path;      /* GTest path */
  const char *format;    /* expected report format; NULL: not a legacy bounce */
  const char *message;
  Expected recipients[CASE_MAX_RECIPIENTS];
} Case;

static const Case cases[] = {
  { "Postfix: a RCPT rejection and an expansion", "/legacy-mta/postfix/failed", "postfix",
    "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This is the mail system at host mail.example.com.\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients. It's attached below.\n"
    "\n"
    "For further assistance, please send mail to postmaster.\n"
    "\n"
    "                   The mail system\n"
    "\n"
    "<ann@example.org>: host mx.example.org[192.0.2.10] said: 550 5.1.1\n"
    "    <ann@example.org>: Recipient address rejected: User unknown (in reply to\n"
    "    RCPT TO command)\n"
    "\n"
    "<bob@example.net> (expanded from <team@example.com>): host\n"
    "    mx.example.net[192.0.2.20] said: 552-5.2.2 The mailbox is full\n"
    "    552 5.2.2 Try again later (in reply to RCPT TO command)\n"
    "\n",
    { { "ann@example.org", "failed", "5.1.1", "550", "mx.example.org" },
      { "bob@example.net", "failed", "5.2.2", "552", "mx.example.net" } } },
  { "Postfix: delayed mail warning", "/legacy-mta/postfix/delayed", "postfix",
    "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
    "To: sender@example.com\n"
    "Subject: Delayed Mail (still being retried)\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This is the mail system at host mail.example.com.\n"
    "\n"
    "####################################################################\n"
    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
    "####################################################################\n"
    "\n"
    "Your message could not be delivered for more than 4 hour(s).\n"
    "It will be retried until it is 5 day(s) old.\n"
    "\n"
    "                   The mail system\n"
    "\n"
    "<cid@example.org>: connect to mx.example.org[192.0.2.30]:25: Connection timed\n"
    "    out\n"
    "\n",
    { { "cid@example.org", "delayed", NULL, NULL, "mx.example.org" } } },
  { "Postfix smtpd: errors from a client, the reply after DATA", "/legacy-mta/postfix/smtpd-transcript", "postfix",
    "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
    "To: sender@example.com\n"
    "Subject: Postfix SMTP server: errors from client.example.net[192.0.2.40]\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Transcript of session follows.\n"
    "\n"
    " Out: 220 mx.example.com ESMTP\n"
    " In:  EHLO client.example.net\n"
    " Out: 250 mx.example.com\n"
    " In:  MAIL FROM:<list@example.net>\n"
    " Out: 250 2.1.0 Ok\n"
    " In:  RCPT TO:<dan@example.com>\n"
    " Out: 250 2.1.5 Ok\n"
    " In:  DATA\n"
    " Out: 354 End data with <CR><LF>.<CR><LF>\n"
    " Out: 451 4.3.0 Error: queue file write error\n"
    "\n"
    "For other details, see the local mail logfile\n"
    "\n",
    { { "dan@example.com", "failed", "4.3.0", "451", NULL } } },
  { "Sendmail: permanent fatal errors with a transcript", "/legacy-mta/sendmail/failed", "sendmail",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Returned mail: see transcript for details\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "The original message was received at Mon, 23 Nov 2026 09:59:00 +0000\n"
    "from client.example.com [192.0.2.50]\n"
    "\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<eve@example.org>\n"
    "    (reason: 550 5.1.1 <eve@example.org>... User unknown)\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.example.org.:\n"
    ">>> DATA\n"
    "<<< 550 5.1.1 <eve@example.org>... User unknown\n"
    "550 5.1.1 <eve@example.org>... User unknown\n"
    "<<< 503 5.0.0 Need RCPT (recipient)\n"
    "\n"
    "   ----- Original message follows -----\n"
    "From: sender@example.com\n"
    "To: eve@example.org\n"
    "Subject: hello\n"
    "\n",
    { { "eve@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "Sendmail: warning, transient non-fatal errors", "/legacy-mta/sendmail/delayed", "sendmail",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Warning: could not send message for past 4 hours\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "    **********************************************\n"
    "    **      THIS IS A WARNING MESSAGE ONLY      **\n"
    "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
    "    **********************************************\n"
    "\n"
    "The original message was received at Mon, 23 Nov 2026 05:59:00 +0000\n"
    "from client.example.com [192.0.2.50]\n"
    "\n"
    "   ----- The following addresses had transient non-fatal errors -----\n"
    "<fay@example.net>\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "<fay@example.net>... Deferred: Connection timed out with mx.example.net.\n"
    "Warning: message still undelivered after 4 hours\n"
    "Will keep trying until message is 5 days old\n"
    "\n",
    { { "fay@example.net", "delayed", NULL, NULL, NULL } } },
  { "Sendmail V5: transcript and unsent message only", "/legacy-mta/v5sendmail/failed", "v5sendmail",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@old.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Returned mail: User unknown\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "While talking to mx.example.org:\n"
    ">>> RCPT To:<gus@example.org>\n"
    "<<< 550 <gus@example.org>... User unknown\n"
    "550 <gus@example.org>... User unknown\n"
    "\n"
    "   ----- Unsent message follows -----\n"
    "From: sender@example.com\n"
    "To: gus@example.org\n"
    "Subject: hello\n"
    "\n",
    { { "gus@example.org", "failed", NULL, "550", "mx.example.org" } } },
  { "Sendmail V5: only the host named, recipient from the unsent message", "/legacy-mta/v5sendmail/host-only", "v5sendmail",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@old.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Returned mail: Cannot send message for 5 days\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "421 example.org (smtp)... Deferred: Connection timed out during user open with example.org\n"
    "\n"
    "   ----- Unsent message follows -----\n"
    "From: sender@example.com\n"
    "To: hal@example.org\n"
    "Subject: hello\n"
    "\n",
    { { "hal@example.org", "failed", NULL, "421", NULL } } },
  { "Exim: two failed addresses, one generated by a pipe", "/legacy-mta/exim/failed", "exim",
    "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Failed-Recipients: ian@example.org, jo@example.com\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n"
    "\n"
    "  ian@example.org\n"
    "    host mx.example.org [192.0.2.60]\n"
    "    SMTP error from remote mail server after RCPT TO:<ian@example.org>:\n"
    "    550-5.1.1 The email account that you tried to reach does not exist.\n"
    "    550 5.1.1 Please check the address\n"
    "\n"
    "  pipe to |/usr/local/bin/filter\n"
    "    generated by jo@example.com\n"
    "    Child process of local_delivery transport returned 75 (could mean\n"
    "    temporary error) from command: /usr/local/bin/filter\n"
    "\n"
    "------ This is a copy of the message, including all the headers. ------\n"
    "\n"
    "From: sender@example.com\n"
    "To: ian@example.org\n"
    "Subject: hello\n"
    "\n",
    { { "ian@example.org", "failed", "5.1.1", "550", "mx.example.org" },
      { "jo@example.com", "failed", NULL, NULL, NULL } } },
  { "Exim: delay warning", "/legacy-mta/exim/delayed", "exim",
    "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Warning: message 1abcDE-000123-4F delayed 24 hours\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "A message that you sent has not yet been delivered to one or more of its\n"
    "recipients after more than 24 hours on the queue on mx.example.com.\n"
    "\n"
    "The address to which the message has not yet been delivered is:\n"
    "\n"
    "  kim@example.net\n"
    "    host mx.example.net [192.0.2.70]\n"
    "    Delay reason: SMTP error from remote mail server after MAIL FROM:<sender@example.com>:\n"
    "    451 4.7.1 Greylisted, please try again later\n"
    "\n"
    "No action is required on your part. Delivery attempts will continue for\n"
    "some time, and this warning may be repeated at intervals if the message\n"
    "remains undelivered.\n"
    "\n",
    { { "kim@example.net", "delayed", "4.7.1", "451", "mx.example.net" } } },
  { "qmail: multi-line reply joined", "/legacy-mta/qmail/failed", "qmail",
    "From: MAILER-DAEMON@qmail.example.com\n"
    "To: sender@example.com\n"
    "Subject: failure notice\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hi. This is the qmail-send program at qmail.example.com.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n"
    "\n"
    "<lee@example.org>:\n"
    "192.0.2.80 does not like recipient.\n"
    "Remote host said: 550-5.7.1 Message rejected by policy,\n"
    "550-5.7.1 see the postmaster page\n"
    "550 5.7.1 for details\n"
    "Giving up on 192.0.2.80.\n"
    "\n"
    "<mo@example.com>:\n"
    "Sorry, no mailbox here by that name. (#5.1.1)\n"
    "\n"
    "--- Below this line is a copy of the message.\n"
    "\n"
    "From: sender@example.com\n"
    "To: lee@example.org\n"
    "\n",
    { { "lee@example.org", "failed", "5.7.1", "550", "192.0.2.80" },
      { "mo@example.com", "failed", "5.1.1", NULL, NULL } } },
  { "qmail descendant: Unable to deliver message to the following address(es)", "/legacy-mta/qmail/variant", "qmail",
    "From: MAILER-DAEMON@relay.example.com\n"
    "To: sender@example.com\n"
    "Subject: Permanent Delivery Failure\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Message from relay.example.com.\n"
    "Unable to deliver message to the following address(es).\n"
    "\n"
    "<ned@example.net>:\n"
    "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
    "I'm not going to try again; this message has been in the queue too long.\n"
    "\n"
    "--- Original message follows.\n"
    "\n"
    "From: sender@example.com\n"
    "\n",
    { { "ned@example.net", "failed", "4.4.1", NULL, NULL } } },
  { "Courier: undeliverable mail", "/legacy-mta/courier/failed", "courier",
    "From: Courier mail server at mail.example.com <@>\n"
    "To: sender@example.com\n"
    "Subject: NOTICE: mail delivery status.\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This is a delivery status notification from mail.example.com,\n"
    "running the Courier mail server, version 1.1.\n"
    "\n"
    "---------------------------------------------------------------------------\n"
    "\n"
    "                           UNDELIVERABLE MAIL\n"
    "\n"
    "Your message to the following recipients cannot be delivered:\n"
    "\n"
    "<oli@example.org>:\n"
    "    mx.example.org [192.0.2.90]:\n"
    ">>> RCPT TO:<oli@example.org>\n"
    "<<< 550 5.1.1 <oli@example.org>... User Unknown\n"
    "\n"
    "---------------------------------------------------------------------------\n"
    "\n",
    { { "oli@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "OpenSMTPD: error report", "/legacy-mta/opensmtpd/failed", "opensmtpd",
    "From: Mailer Daemon <MAILER-DAEMON@smtpd.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Delivery status notification: error\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hi!\n"
    "\n"
    "This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n"
    "\n"
    "An error has occurred while attempting to deliver a message for\n"
    "the following list of recipients:\n"
    "\n"
    "pat@example.org: 550 5.2.2 <pat@example.org>... Mailbox full\n"
    "\n"
    "Below is a copy of the original message:\n"
    "\n"
    "From: sender@example.com\n"
    "\n",
    { { "pat@example.org", "failed", "5.2.2", "550", NULL } } },
  { "OpenSMTPD: delay warning", "/legacy-mta/opensmtpd/delayed", "opensmtpd",
    "From: Mailer Daemon <MAILER-DAEMON@smtpd.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Delivery status notification: delay\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hi!\n"
    "\n"
    "This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n"
    "\n"
    "A message is delayed for more than 4 hours for the following\n"
    "list of recipients:\n"
    "\n"
    "quin@example.net: Network error on destination MXs\n"
    "\n"
    "Please note this is only a temporary failure report.\n"
    "\n",
    { { "quin@example.net", "delayed", NULL, NULL, NULL } } },
  { "DragonFly Mail Agent: the failed postmaster of a remote domain", "/legacy-mta/dragonfly/postmaster", "dragonfly",
    "From: MAILER-DAEMON <>\n"
    "To: sender@example.com\n"
    "Subject: Mail delivery failed\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This is the DragonFly Mail Agent v0.13 at dma.example.com.\n"
    "\n"
    "There was an error delivering your mail to <postmaster@example.org>.\n"
    "\n"
    "mx.example.org [192.0.2.100] did not like our RCPT TO:\n"
    "550 5.1.1 <postmaster@example.org>: Recipient address rejected\n"
    "\n"
    "Message headers follow.\n"
    "\n"
    "From: sender@example.com\n"
    "\n",
    { { "postmaster@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "Lotus Domino: was not delivered to, because", "/legacy-mta/domino/failed", "domino",
    "From: Postmaster@domino.example.com\n"
    "To: sender@example.com\n"
    "Subject: DELIVERY FAILURE: User ray (ray@example.org) not listed in Domino Directory\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Your message\n"
    "\n"
    "  Subject: hello\n"
    "\n"
    "was not delivered to:\n"
    "\n"
    "  ray@example.org\n"
    "\n"
    "because:\n"
    "\n"
    "  User ray (ray@example.org) not listed in Domino Directory\n"
    "\n",
    { { "ray@example.org", "failed", NULL, NULL, NULL } } },
  { "Lotus Notes R4: failure reasons", "/legacy-mta/notes/failed", "notes",
    "From: POSTMASTER@notes.example.com\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable message\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "------- Failure Reasons  --------\n"
    "\n"
    "User not listed in public Name & Address Book\n"
    "sue@example.org\n"
    "\n"
    "\n"
    "------- Returned Message --------\n"
    "From: sender@example.com\n"
    "To: sue@example.org\n"
    "\n",
    { { "sue@example.org", "failed", NULL, NULL, NULL } } },
  { "Messaging Server: recipient, reason, diagnostic code", "/legacy-mta/messagingserver/failed", "messagingserver",
    "From: Internet Mail Delivery <postmaster@ms.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Delivery Notification: Delivery has failed\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This report relates to a message you sent with the following header fields:\n"
    "\n"
    "  Message-id: <m1@example.com>\n"
    "  From: sender@example.com\n"
    "  To: tom@example.org\n"
    "\n"
    "Your message cannot be delivered to the following recipients:\n"
    "\n"
    "  Recipient address: tom@example.org\n"
    "  Original address: tommy@example.org\n"
    "  Reason: Remote SMTP server has rejected address\n"
    "  Diagnostic code: smtp;550 5.1.1 <tom@example.org>... User unknown\n"
    "  Remote system: dns;mx.example.org (TCP|192.0.2.1|1234|192.0.2.2|25)\n"
    "\n",
    { { "tom@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "IMail: the remote server's response", "/legacy-mta/imail/failed", "imailserver",
    "From: \"Postmaster\" <postmaster@imail.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable Mail\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Mailer: <SMTP32 v8.22>\n"
    "\n"
    "undeliverable to uma@example.org\n"
    "\n"
    "Body of message generated response:\n"
    "550 5.7.1 Message rejected as spam\n"
    "\n"
    "Original message follows.\n"
    "\n"
    "From: sender@example.com\n"
    "\n",
    { { "uma@example.org", "failed", "5.7.1", "550", NULL } } },
  { "m-FILTER: server message section", "/legacy-mta/mfilter/failed", "mfilter",
    "From: POSTMASTER <postmaster@mf.example.com>\n"
    "To: sender@example.com\n"
    "Subject: failure notice\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Mailer: m-FILTER\n"
    "\n"
    "The message could not be sent to the following address.\n"
    "val@example.org\n"
    "\n"
    "\n"
    "-------server message\n"
    "550 5.1.1 unknown user <val@example.org>\n"
    "\n"
    "-------SMTP command\n"
    "RCPT TO\n"
    "\n"
    "-------original message\n"
    "From: sender@example.com\n"
    "\n",
    { { "val@example.org", "failed", "5.1.1", "550", NULL } } },
  { "FML: loop alert names the list", "/legacy-mta/fml/loop", "fml",
    "From: ml-admin@lists.example.com\n"
    "To: sender@example.com\n"
    "Subject: Loop Alert: Duplicated Message-ID (ml ML)\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-MLServer: fml [fml 4.0.3 release]\n"
    "\n"
    "Duplicated Message-ID in <ml@lists.example.com>.\n"
    "\n"
    "\n"
    "Original mail as follows:\n"
    "\n"
    "   From: sender@example.com\n"
    "\n",
    { { "ml@lists.example.com", "failed", NULL, NULL, NULL } } },
  { "MailFoundry: delivery failed for the following reason", "/legacy-mta/mailfoundry/failed", "mailfoundry",
    "From: MAILER-DAEMON@mf.example.com\n"
    "To: sender@example.com\n"
    "Subject: Message delivery has failed\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Unable to deliver message to: <wes@example.org>\n"
    "Delivery failed for the following reason:\n"
    "mx.example.org[192.0.2.110] responded with failure: 552 5.2.2 mailbox wes@example.org is full\n"
    "\n"
    "This has been a permanent failure. No further delivery attempts will be made.\n"
    "\n",
    { { "wes@example.org", "failed", "5.2.2", "552", "mx.example.org" } } },
  { "MailMarshal: the recipients affected", "/legacy-mta/mailmarshal/failed", "mailmarshal",
    "From: postmaster@mm.example.com\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable Mail: \"hello\"\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Your message:\n"
    "   From:    sender@example.com\n"
    "   Subject: hello\n"
    "\n"
    "Could not be delivered because of\n"
    "\n"
    "550 5.1.1 User unknown\n"
    "\n"
    "The following recipients were affected: \n"
    "    xia@example.org\n"
    "\n"
    "Additional Information\n"
    "======================\n"
    "Remote-MTA:         <192.0.2.120>\n"
    "\n",
    { { "xia@example.org", "failed", "5.1.1", "550", "192.0.2.120" } } },
  { "Active!hunter: Sendmail's layout, Subject FAILURE NOTICE", "/legacy-mta/activehunter/failed", "activehunter",
    "From: \"MAILER-DAEMON\" <MAILER-DAEMON@ah.example.com>\n"
    "To: sender@example.com\n"
    "Subject: FAILURE NOTICE : hello\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "The original message was received at Mon, 23 Nov 2026 10:00:00 +0000\n"
    "from client.example.com\n"
    "\n"
    "  ----- The following addresses had permanent fatal errors -----\n"
    "\n"
    ">>> yan@example.org <yan@example.org>\n"
    "\n"
    "  ----- Transcript of session follows -----\n"
    "550 sorry, no mailbox here by that name (#5.1.1 - chkusr)\n"
    "\n",
    { { "yan@example.org", "failed", "5.1.1", "550", NULL } } },
  { "amavisd-new: the message WAS NOT relayed", "/legacy-mta/amavis/failed", "amavis",
    "From: \"Content-filter at example.com\" <postmaster@example.com>\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable mail, invalid characters in header\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This nondelivery report was generated by the program amavisd-new\n"
    "at host filter.example.com.\n"
    "\n"
    "The message WAS NOT relayed to:\n"
    "<zed@example.org>:\n"
    "   554 5.6.0 Reject, id=12345-01 - bad header\n"
    "\n",
    { { "zed@example.org", "failed", "5.6.0", "554", NULL } } },
  { "Barracuda: blocked by the Spam Firewall", "/legacy-mta/barracuda/blocked", "barracuda",
    "From: MAILER-DAEMON <>\n"
    "To: sender@example.com\n"
    "Subject: **Message you sent blocked by our bulk email filter**\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Your message to: abe@example.org\n"
    "was blocked by our Spam Firewall. The email you sent with the following subject has NOT BEEN DELIVERED:\n"
    "\n"
    "Subject: hello\n"
    "\n"
    "Reason: 550 5.7.1 Message content rejected\n"
    "\n",
    { { "abe@example.org", "failed", "5.7.1", "550", NULL } } },
  { "McAfee: addresses had delivery problems", "/legacy-mta/mcafee/failed", "mcafee",
    "From: <Postmaster@mcafee.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Delivery Status\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "    --- The following addresses had delivery problems ---\n"
    "\n"
    "<bea@example.org>   (5.1.1 <bea@example.org>... User unknown)\n"
    "\n",
    { { "bea@example.org", "failed", "5.1.1", NULL, NULL } } },
  { "Trend Micro InterScan: the RCPT dialogue", "/legacy-mta/trendmicro/failed", "trendmicro",
    "From: \"InterScan MSS\" <postmaster@ts.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Mail could not be delivered\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Sent <<< RCPT TO:<cal@example.org>\n"
    "Received >>> 550 5.1.1 <cal@example.org>... user unknown\n"
    "\n",
    { { "cal@example.org", "failed", "5.1.1", "550", NULL } } },
  { "SurfControl: a transcript of the attempts", "/legacy-mta/surfcontrol/failed", "surfcontrol",
    "From: <>\n"
    "To: sender@example.com\n"
    "Subject: hello\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Mailer: SurfControl E-mail Filter\n"
    "\n"
    "Your message could not be sent.\n"
    "A transcript of the attempts to send the message follows.\n"
    "The number of attempts made: 1\n"
    "Addressed To: dee@example.org\n"
    "\n"
    "Mon, 23 Nov 2026 10:00:00 +0000\n"
    "Failed to send to identified host,\n"
    "dee@example.org: [192.0.2.130], 554 Service currently unavailable\n"
    "--- Message non-deliverable.\n"
    "\n",
    { { "dee@example.org", "failed", NULL, "554", "192.0.2.130" } } },
  { "MXLogic: Exim's words, address and answer on one line", "/legacy-mta/mxlogic/failed", "mxlogic",
    "From: \"Mail Delivery System\" <MAILER-DAEMON@mx1.mxlogic.example>\n"
    "To: sender@example.com\n"
    "Subject: Mail delivery failed\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "A message that you have sent could not be delivered to one or more\n"
    "recipients.  This is a permanent error.  The following address failed:\n"
    "\n"
    "  <eli@example.org>: 550 5.1.1 unknown user\n"
    "\n"
    "Included is a copy of the message header:\n"
    "-----------------------------------------\n"
    "From: sender@example.com\n"
    "\n",
    { { "eli@example.org", "failed", "5.1.1", "550", NULL } } },
  { "Bigfoot: Sendmail's layout from bigfoot", "/legacy-mta/bigfoot/failed", "bigfoot",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@bigfoot.com>\n"
    "To: sender@example.com\n"
    "Subject: Returned mail: Requested action not taken\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<fox@example.org>\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.example.org.:\n"
    ">>> RCPT TO:<fox@example.org>\n"
    "<<< 553 Invalid recipient fox@example.org (Mode: normal)\n"
    "\n",
    { { "fox@example.org", "failed", NULL, "553", "mx.example.org" } } },
  { "Verizon: error message below, RCPT TO in the details", "/legacy-mta/verizon/failed", "verizon",
    "From: post_master@vtext.example\n"
    "To: sender@example.com\n"
    "Subject: Re: hello\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Error: Invalid user address\n"
    "\n"
    "Error message below:\n"
    "550 - Requested action not taken: no such user here\n"
    "\n"
    "Message details:\n"
    "  Subject: hello\n"
    "  MAIL FROM: sender@example.com\n"
    "  RCPT TO: gil@vtext.example\n"
    "  From: sender@example.com\n"
    "\n",
    { { "gil@vtext.example", "failed", NULL, "550", NULL } } },
  { "EZweb: rejected by a remote mail server", "/legacy-mta/ezweb/rejected", "ezweb",
    "From: Postmaster@ezweb.ne.jp\n"
    "To: sender@example.com\n"
    "Subject: Mail System Error - Returned Mail\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Each of the following recipients was rejected by a remote\n"
    "mail server.\n"
    "\n"
    "    Recipient: <hana@ezweb.ne.jp>\n"
    "    >>> RCPT TO:<hana@ezweb.ne.jp>\n"
    "    <<< 550 <hana@ezweb.ne.jp>: User unknown\n"
    "\n",
    { { "hana@ezweb.ne.jp", "failed", NULL, "550", NULL } } },
  { "KDDI: mailbox full", "/legacy-mta/kddi/full", "kddi",
    "From: no-reply@kddi.example\n"
    "To: sender@example.com\n"
    "Subject: Mail\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Your mail sent on: Mon, 23 Nov 2026 10:00:00 +0900\n"
    "     Could not be delivered to: <ivy@kddi.example>\n"
    "     As their mailbox is full.\n"
    "\n",
    { { "ivy@kddi.example", "failed", NULL, NULL, NULL } } },
  { "Google Groups: the group in X-Failed-Recipients", "/legacy-mta/googlegroups/no-group", "googlegroups",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "To: sender@example.com\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Failed-Recipients: club@googlegroups.com\n"
    "\n"
    "Hello sender@example.com,\n"
    "\n"
    "We're writing to let you know that the group you tried to contact (club) may not exist.\n"
    "\n"
    "Thanks,\n"
    "\n"
    "Google Groups\n"
    "\n",
    { { "club@googlegroups.com", "failed", NULL, NULL, NULL } } },
  { "x1: addresses had delivery errors", "/legacy-mta/x1/failed", "x1",
    "From: \"Mail Delivery System\" <MAILER-DAEMON@x1.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Mail Delivery Failure\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "The original message was received at 23 Nov 2026 10:00:00 +0000\n"
    "from sender@example.com\n"
    "\n"
    "---The following addresses had delivery errors---\n"
    "\n"
    "jan@example.org [User unknown]\n"
    "\n",
    { { "jan@example.org", "failed", NULL, NULL, NULL } } },
  { "x3: automatically generated notification, technical details", "/legacy-mta/x3/failed", "x3",
    "From: Mail Delivery System <Mail.Delivery.System@x3.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Delivery status notification\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "============================================================================\n"
    "      This is an automatically generated Delivery Status Notification.\n"
    "\n"
    "Delivery to the following recipients failed permanently:\n"
    "\n"
    "   * kai@example.org\n"
    "\n"
    "\n"
    "============================================================================\n"
    "                             Technical details:\n"
    "\n"
    "SMTP:RCPT host 192.0.2.140: 553 5.3.0 <kai@example.org>... No such user here\n"
    "\n"
    "\n"
    "============================================================================\n"
    "\n",
    { { "kai@example.org", "failed", "5.3.0", "553", "192.0.2.140" } } },
  { "x6: recipients returned permanent errors", "/legacy-mta/x6/failed", "x6",
    "From: mailer-daemon\n"
    "To: sender@example.com\n"
    "Subject: There was an error sending your mail\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "We had trouble delivering your message. Full details follow:\n"
    "\n"
    "Subject: 'hello'\n"
    "\n"
    "1 error(s):\n"
    "\n"
    "The following recipients returned permanent errors: lou@example.org. Reason: SMTP Server <mx.example.org> refused to accept your message (DATA), with the following error message: [554 5.4.6 Hop count exceeded - possible mail loop]\n"
    "\n",
    { { "lou@example.org", "failed", "5.4.6", "554", "mx.example.org" } } },
  { "a Postfix notice forwarded inside a notice", "/legacy-mta/forwarded/postfix", "forwarded",
    "From: MAILER-DAEMON@relay.example.com\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "A notice of our relay follows.\n"
    "\n"
    "---------------------------------\n"
    "From MAILER-DAEMON  Mon Nov 23 10:00:00 2026\n"
    "From: MAILER-DAEMON@inner.example.com (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "To: sender@example.com\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This is the mail system at host inner.example.com.\n"
    "\n"
    "                   The mail system\n"
    "\n"
    "<max@example.org>: host mx.example.org[192.0.2.150] said: 550 5.1.1 User\n"
    "    unknown (in reply to RCPT TO command)\n"
    "\n",
    { { "max@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "Sendmail notice quoted in a forward", "/legacy-mta/forwarded/quoted", "forwarded",
    "From: \"Sender\" <sender@example.com>\n"
    "To: sender@example.com\n"
    "Subject: Fwd: Returned mail: see transcript for details\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Begin forwarded message:\n"
    "\n"
    "> From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
    "> Subject: Returned mail: see transcript for details\n"
    "> Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    ">\n"
    ">    ----- The following addresses had permanent fatal errors -----\n"
    "> <ola@example.org>\n"
    ">     (reason: 550 5.1.1 User unknown)\n"
    "\n",
    { { "ola@example.org", "failed", "5.1.1", "550", NULL } } },
  { "Sendmail: the transcript before the list of addresses", "/legacy-mta/sendmail/transcript-first", "sendmail",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Returned mail: User unknown\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.example.org.:\n"
    ">>> RCPT To:<pia@example.org>\n"
    "<<< 550 5.1.1 <pia@example.org>... User unknown\n"
    "550 5.1.1 <pia@example.org>... User unknown\n"
    "\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<pia@example.org>\n"
    "\n"
    "   ----- Original message follows -----\n"
    "From: sender@example.com\n"
    "\n",
    { { "pia@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "Exim: a translated template, the addresses in X-Failed-Recipients", "/legacy-mta/exim/translated", "exim",
    "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Failed-Recipients: quy@example.org\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "Eine Nachricht konnte nicht zugestellt werden:\n"
    "\n"
    "quy@example.org\n"
    "    host mx.example.org [192.0.2.160]\n"
    "    SMTP error from remote mail server after RCPT TO:<quy@example.org>:\n"
    "    550 5.1.1 unknown user\n"
    "\n",
    { { "quy@example.org", "failed", "5.1.1", "550", "mx.example.org" } } },
  { "Postfix: a translated template under bounce(8)'s default subject", "/legacy-mta/postfix/translated", "postfix",
    "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Ihre Nachricht konnte nicht zugestellt werden.\n"
    "\n"
    "<rex@example.org>: host mx.example.org[192.0.2.170] said: 554 5.7.1 Relay\n"
    "    access denied (in reply to RCPT TO command)\n"
    "\n",
    { { "rex@example.org", "failed", "5.7.1", "554", "mx.example.org" } } },
  { "Exim: recipient addresses incorrectly constructed", "/legacy-mta/exim/malformed-address", "exim",
    "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Mail failure - malformed recipient address\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "A message that you sent contained one or more recipient addresses that were\n"
    "incorrectly constructed:\n"
    "\n"
    "  sam@example..org: domain missing or malformed\n"
    "\n"
    "This address has been ignored. There were no other addresses in your\n"
    "message, and so no attempt at delivery was possible.\n"
    "\n",
    { { "sam@example..org", "failed", NULL, NULL, NULL } } },
  { "Sendmail: a report whose MIME boundaries a relay stripped", "/legacy-mta/sendmail/stripped-boundaries", "sendmail",
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Returned mail: see transcript for details\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "    boundary=\"AA00000.1700000000/relay.example.com\"\n"
    "\n"
    "The original message was received at Mon, 23 Nov 2026 09:59:00 +0000\n"
    "from client.example.com [192.0.2.50]\n"
    "\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<tia@example.org>\n"
    "    (reason: 550 5.2.1 Mailbox disabled)\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.example.org.:\n"
    ">>> RCPT To:<tia@example.org>\n"
    "<<< 550 5.2.1 <tia@example.org>... Mailbox disabled\n"
    "550 5.2.1 <tia@example.org>... Mailbox disabled\n"
    "\n"
    "Reporting-MTA: dns; relay.example.com\n"
    "Arrival-Date: Mon, 23 Nov 2026 09:59:00 +0000\n"
    "\n"
    "Final-Recipient: RFC822; tia@example.org\n"
    "Action: failed\n"
    "Status: 5.2.1\n"
    "Remote-MTA: DNS; mx.example.org\n"
    "Diagnostic-Code: SMTP; 550 5.2.1 <tia@example.org>... Mailbox disabled\n"
    "\n",
    { { "tia@example.org", "failed", "5.2.1", "550", "mx.example.org" } } },
  { "Exim: a reworded sentence before the list", "/legacy-mta/exim/reworded", "exim",
    "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
    "To: sender@example.com\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "Your message could not be delivered to these recipients:\n"
    "\n"
    "  una@example.org\n"
    "    Unrouteable address\n"
    "\n"
    "------ This is a copy of the message, including all the headers. ------\n"
    "From: sender@example.com\n"
    "\n",
    { { "una@example.org", "failed", NULL, NULL, NULL } } },
  { "qmail descendant with a reworded greeting", "/legacy-mta/qmail/reworded", "qmail",
    "From: MAILER-DAEMON@mx.example.com\n"
    "To: sender@example.com\n"
    "Subject: failure notice\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hello, this is the mail server at mx.example.com.\n"
    "Your message could not be delivered.\n"
    "\n"
    "<vic@example.org>:\n"
    "Sorry, no mailbox here by that name. (#5.1.1)\n"
    "\n"
    "--- Below this line is a copy of the message.\n"
    "\n"
    "From: sender@example.com\n"
    "\n",
    { { "vic@example.org", "failed", "5.1.1", NULL, NULL } } },
  { "unknown layout: the address's paragraph is its diagnostic", "/legacy-mta/generic/paragraph", "generic",
    "From: postmaster@gw.example.com\n"
    "To: sender@example.com\n"
    "Subject: Delivery failure\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "NOTICE: Delivery Failure.\n"
    "\n"
    "Delivery failed: wil@example.org\n"
    "192.0.2.180 failed after I sent the message.\n"
    "Remote host said: 554 5.4.14 Hop count exceeded - possible mail loop\n"
    "\n",
    { { "wil@example.org", "failed", "5.4.14", "554", NULL } } },
  { "unknown layout: header fields of an unmarked returned copy name no recipient", "/legacy-mta/generic/returned-fields", "generic",
    "From: MAILER-DAEMON@gw.example.com\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable mail\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Your mail to xen@example.org could not be delivered: unknown host.\n"
    "\n"
    "Received: from client.example.com by gw.example.com\n"
    "From: Sender <sender@example.com>\n"
    "To: xen@example.org, yul@example.net\n"
    "Message-ID: <m2@example.com>\n"
    "\n",
    { { "xen@example.org", "failed", NULL, NULL, NULL } } },
  { "Postfix: the success report lists delivered recipients", "/legacy-mta/postfix/delivered", "postfix",
    "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
    "To: sender@example.com\n"
    "Subject: Successful Mail Delivery Report\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "This is the mail system at host mail.example.com.\n"
    "\n"
    "Your message was successfully delivered to the destination(s)\n"
    "listed below. If the message was delivered to mailbox you will\n"
    "receive no further notifications. Otherwise you may still receive\n"
    "notifications of mail delivery errors from other systems.\n"
    "\n"
    "                   The mail system\n"
    "\n"
    "<zoe@example.org>: delivery via mx.example.org[192.0.2.190]:25: 250 2.0.0 Ok:\n"
    "    queued as 4ABCDE\n"
    "\n",
    { { "zoe@example.org", "delivered", "2.0.0", "250", "mx.example.org" } } },
  { "ordinary mail quoting Exim's sentence is no bounce", "/legacy-mta/negative/ordinary", NULL,
    "From: Alice <alice@example.com>\n"
    "To: sender@example.com\n"
    "Subject: about the error we saw\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hi Bob,\n"
    "\n"
    "the customer got \"This message was created automatically by mail delivery\n"
    "software\" and then nothing; can you look at <carol@example.org>?\n"
    "\n"
    "Alice\n"
    "\n",
    { { NULL } } },
  { "a person pasting a qmail notice into ordinary mail is not reporting one", "/legacy-mta/negative/pasted", NULL,
    "From: Alice <alice@example.com>\n"
    "To: sender@example.com\n"
    "Subject: question about our mail server\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hi Bob, our customers get this:\n"
    "\n"
    "Hi. This is the qmail-send program at mx.example.com.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "\n"
    "<carol@example.org>:\n"
    "Sorry, no mailbox here by that name. (#5.1.1)\n"
    "\n"
    "Any idea?\n"
    "\n",
    { { NULL } } },
  { "ordinary mail from an IMail server is no bounce", "/legacy-mta/negative/imail-x-mailer", NULL,
    "From: Alice <alice@example.com>\n"
    "To: sender@example.com\n"
    "Subject: lunch\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
    "X-Mailer: <SMTP32 v8.22>\n"
    "\n"
    "Lunch at noon? Ask dave@example.org too.\n"
    "\n",
    { { NULL } } },
};

static void
check_str (const char *what, const char *expected, const char *got)
{
  if (g_strcmp0 (expected, got) != 0)
    g_test_fail_printf ("%s: expected %s%s%s, got %s%s%s", what,
                        expected ? "\"" : "", expected ? expected : "NULL", expected ? "\"" : "",
                        got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceReport) report = NULL;
  guint n = 0;

  report = bounce_report_parse (c->message, strlen (c->message), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  while (n < CASE_MAX_RECIPIENTS && c->recipients[n].recipient != NULL)
    n++;
  if (c->format == NULL)
    {
      g_assert_cmpint (report->kind, !=, BOUNCE_KIND_LEGACY);
      g_assert_cmpuint (report->recipients->len, ==, 0);
      return;
    }
  check_str ("kind", "legacy-bounce", bounce_kind_to_string (report->kind));
  check_str ("format", c->format, report->format);
  if (report->recipients->len != n)
    {
      g_test_fail_printf ("%u recipients, expected %u", report->recipients->len, n);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      const Expected *e = &c->recipients[i];
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      check_str ("recipient", e->recipient, r->recipient);
      check_str ("action", e->action, r->action);
      /* What the notice says; a status we inferred is tested in
       * tests/test-classify.c (/classify/permanence). */
      check_str ("status", e->status, r->status_source ? NULL : r->status);
      check_str ("reply_code", e->reply_code, r->reply_code);
      check_str ("remote_mta", e->remote_mta, r->remote_mta);
      if (r->diagnostic == NULL)
        g_test_fail_printf ("%s: no diagnostic", r->recipient);
    }
}

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *lines[6];
  const char *expected;
} JoinCase;

/* RFC 5321 4.2.1: continuation lines repeat the reply code. */
static const JoinCase join_cases[] = {
  { "multi-line reply with enhanced codes",
    { "Remote host said: 550-5.7.26 Unauthenticated email is not accepted",
      "550-5.7.26 due to the domain's DMARC policy.",
      "550 5.7.26  https://support.example.com/dmarc", NULL },
    "Remote host said: 550-5.7.26 Unauthenticated email is not accepted due to the "
    "domain's DMARC policy. https://support.example.com/dmarc" },
  { "multi-line reply without enhanced codes",
    { "550-Mailbox unavailable", "550 try later", NULL },
    "550-Mailbox unavailable try later" },
  { "a verdict after a one-line reply is not a continuation",
    { "<<< 550 5.1.1 <eve@example.org>... User unknown",
      "550 5.1.1 <eve@example.org>... User unknown", NULL },
    "<<< 550 5.1.1 <eve@example.org>... User unknown 550 5.1.1 <eve@example.org>... User unknown" },
  { "another code is not a continuation",
    { "<<< 550 5.1.1 User unknown", "503 5.0.0 Need RCPT", NULL },
    "<<< 550 5.1.1 User unknown 503 5.0.0 Need RCPT" },
  { "blank and indented lines",
    { "    SMTP error from remote mail server after RCPT TO:", "", "\t550 unknown user  ", NULL },
    "SMTP error from remote mail server after RCPT TO: 550 unknown user" },
};

static void
test_text_append (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (join_cases); i++)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (const char *const *l = join_cases[i].lines; *l != NULL; l++)
        legacy_text_append (text, *l, strlen (*l));
      if (strcmp (text->str, join_cases[i].expected) != 0)
        g_test_fail_printf ("%s: got \"%s\"", join_cases[i].name, text->str);
    }
}

static void
test_find_line (void)
{
  static const char text[] =
    "intro\n"
    "> ----- Transcript of session follows -----\n"
    "   ----- Transcript of session follows -----\n"
    "a sentence with Transcript of session follows inside\n";
  const char *p = legacy_find_line (text, sizeof text - 1, "----- Transcript of session follows");

  /* Quoted and mid-sentence occurrences are not line starts. */
  g_assert_nonnull (p);
  g_assert_true (p == strstr (text, "   -----") + 3);
  g_assert_null (legacy_find_line (text, sizeof text - 1, "with Transcript"));
  g_assert_true (legacy_find_line (text, sizeof text - 1, "INTRO") == text);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_case);
  g_test_add_func ("/legacy-mta/util/text-append", test_text_append);
  g_test_add_func ("/legacy-mta/util/find-line", test_find_line);
  return g_test_run ();
}
