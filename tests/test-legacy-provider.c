/* test-legacy-provider.c - recognisers of providers' plain-text notices
 *
 * Tests of parser/legacy-provider.c through bounce_report_parse(): each case
 * is a short notice written in the layout a provider uses (Exchange 2003 and
 * 2007+, Office 365, Gmail, Google Workspace, Yahoo, Amazon SES and WorkMail,
 * mail.ru, GMX, 1&1, Zoho), with the recipients, action, status and reply
 * code it must give.  Negative cases check that notices of other formats are
 * left to the MTA recognisers and that senders are never taken.
 */
#include "bounce-private.h"

#include <string.h>

#define MAX_EXPECTED 3

typedef struct {
  const char *recipient;
  const char *action;
  const char *status;        /* NULL: must be NULL */
  const char *reply_code;    /* NULL: must be NULL */
  const char *remote_mta;    /* NULL: not checked */
  const char *diagnostic;    /* a part the diagnostic must contain; NULL:
                              * there must be none */
} Expected;

typedef struct {
  const char *name;
  const char *source;        /* which layout the notice imitates */
  const char *format;        /* the report's format */
  const char *message;
  guint count;
  Expected rcpts[MAX_EXPECTED];
} Case;

static const Case cases[] = {
  {
    "exchange2007-resolver", "Exchange 2007/2010 NDR, administrators' section",
    "exchange2007",
    "From: Microsoft Exchange <postmaster@example.net>\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable: quarterly report\n"
    "X-MS-Exchange-Message-Is-Ndr:\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Delivery has failed to these recipients or groups:\n"
    "\n"
    "alice@example.org\n"
    "The e-mail address you entered couldn't be found.\n"
    "\n"
    "bob@example.org\n"
    "The recipient's mailbox is full.\n"
    "\n"
    "Diagnostic information for administrators:\n"
    "\n"
    "Generating server: mail.example.net\n"
    "\n"
    "alice@example.org\n"
    "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n"
    "\n"
    "bob@example.org\n"
    "mx.example.org #552 5.2.2 STOREDRV.Deliver; mailbox full ##\n"
    "\n"
    "Original message headers:\n"
    "\n"
    "From: sender@example.com\n"
    "To: alice@example.org, bob@example.org\n"
    "Subject: quarterly report\n",
    2, {
      { "alice@example.org", "failed", "5.1.1", "550", NULL, "RESOLVER.ADR.RecipNotFound" },
      { "bob@example.org", "failed", "5.2.2", "552", "mx.example.org", "mailbox full" },
    },
  },
  {
    "office365-remote-server", "Exchange Online NDR, Remote Server returned",
    "office365",
    "From: postmaster@example.onmicrosoft.com\n"
    "To: sender@example.com\n"
    "Subject: Undeliverable: hello\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Delivery has failed to these recipients or groups:\n"
    "\n"
    "carol@example.org<mailto:carol@example.org>\n"
    "The email address wasn't found at the destination domain.\n"
    "\n"
    "Diagnostic information for administrators:\n"
    "\n"
    "Generating server: AM0PR01MB0001.eurprd01.prod.outlook.com\n"
    "\n"
    "carol@example.org\n"
    "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\n"
    "\n"
    "Original message headers:\n"
    "\n"
    "Message-ID: <1@example.com>\n",
    1, {
      { "carol@example.org", "failed", "5.1.10", "550", NULL,
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup" },
    },
  },
  {
    "exchange2007-delayed", "Exchange delay notification",
    "exchange2007",
    "From: postmaster@example.net\n"
    "Subject: Delivery delayed:report\n"
    "Content-Type: text/plain\n"
    "\n"
    "Delivery is delayed to these recipients or groups:\n"
    "\n"
    "dave@example.org\n"
    "\n"
    "Diagnostic information for administrators:\n"
    "\n"
    "Generating server: mail.example.net\n"
    "\n"
    "dave@example.org\n"
    "Remote Server at mx.example.org (192.0.2.25) returned '451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped.\"'\n"
    "\n"
    "Original message headers:\n",
    1, {
      { "dave@example.org", "delayed", "4.4.0", "451", "mx.example.org", "Primary target IP address" },
    },
  },
  {
    "exchange2013-host-line", "Exchange 2013+: the answering server on its own line",
    "exchange2007",
    "From: Microsoft Outlook <postmaster@example.net>\n"
    "Subject: Undeliverable: minutes\n"
    "\n"
    "Delivery has failed to these recipients or groups:\n"
    "\n"
    "Xena Example (xena@example.org)\n"
    "Your message wasn't delivered because the recipient's email provider rejected it.\n"
    "\n"
    "Diagnostic information for administrators:\n"
    "\n"
    "Generating server: EX01.example.net\n"
    "\n"
    "xena@example.org\n"
    "mx.example.org\n"
    "Remote Server returned '554 5.7.1 <xena@example.org>: Relay access denied'\n"
    "\n"
    "Original message headers:\n",
    1, {
      { "xena@example.org", "failed", "5.7.1", "554", "mx.example.org", "Relay access denied" },
    },
  },
  {
    "exchange2007-display-names", "Exchange 2007 without the administrators' section",
    "exchange2007",
    "From: Microsoft Exchange <postmaster@example.net>\n"
    "Subject: Undeliverable: minutes\n"
    "\n"
    "Delivery has failed to these recipients or groups:\n"
    "\n"
    "Yves Example (yves@example.org)\n"
    "The e-mail address you entered couldn't be found.\n"
    "\n"
    "Zoe Example (zoe@example.org)\n"
    "The recipient's mailbox is full.\n"
    "\n",
    2, {
      { "yves@example.org", "failed", NULL, NULL, NULL, "couldn't be found" },
      { "zoe@example.org", "failed", NULL, NULL, NULL, "mailbox is full" },
    },
  },
  {
    "exchange-german", "Exchange NDR in German: the section titles are translated",
    "exchange2007",
    "From: Microsoft Outlook <postmaster@example.net>\n"
    "Subject: Unzustellbar: Angebot\n"
    "\n"
    "Ihre Nachricht hat einige oder alle Empfänger nicht erreicht.\n"
    "\n"
    "Diagnoseinformationen für Administratoren:\n"
    "\n"
    "Generierender Server: EX03.example.net\n"
    "\n"
    "beth@example.org\n"
    "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n"
    "\n"
    "Ursprüngliche Nachrichtenkopfzeilen:\n"
    "\n"
    "To: beth@example.org,\n"
    " carl@example.org\n",
    1, {
      { "beth@example.org", "failed", "5.1.1", "550", NULL, "RecipNotFound" },
    },
  },
  {
    "exchange2010-smtp-relay", "Exchange relaying the remote answer: #< #5.1.1 smtp;550 ...> #SMTP#",
    "exchange2007",
    "From: postmaster@example.net\n"
    "Subject: Undeliverable: minutes\n"
    "\n"
    "Delivery has failed to these recipients or groups:\n"
    "\n"
    "amy@example.org\n"
    "\n"
    "Diagnostic information for administrators:\n"
    "\n"
    "Generating server: EX02.example.net\n"
    "\n"
    "amy@example.org\n"
    "#< #5.2.2 smtp;552 5.2.2 <amy@example.org>: mailbox over quota> #SMTP#\n"
    "\n"
    "Original message headers:\n",
    1, {
      { "amy@example.org", "failed", "5.2.2", "552", NULL, "552 5.2.2 <amy@example.org>: mailbox over quota" },
    },
  },
  {
    "exchange2003-ims", "Exchange 2000/2003 Internet Mail Service NDR",
    "exchange2003",
    "From: System Administrator <postmaster@example.net>\n"
    "Subject: Undeliverable: lunch\n"
    "X-MS-Embedded-Report:\n"
    "Content-Type: text/plain\n"
    "\n"
    "Your message\n"
    "\n"
    "  To:      erin@example.org\n"
    "  Subject: lunch\n"
    "  Sent:    Mon, 2 Nov 2026 10:00:00 +0000\n"
    "\n"
    "did not reach the following recipient(s):\n"
    "\n"
    "erin@example.org on Mon, 2 Nov 2026 10:00:05 +0000\n"
    "    The recipient name is not recognized\n"
    "\tThe MTS-ID of the original message is: c=us;a= ;p=example\n"
    ";l=SERVER0000000000\n"
    "    MSEXCH:IMS:EXAMPLE:SITE:SERVER 0 (000C05A6) Unknown Recipient\n"
    "frank@example.org on Mon, 2 Nov 2026 10:00:05 +0000\n"
    "    The recipient name is not recognized\n"
    "\n",
    2, {
      { "erin@example.org", "failed", NULL, NULL, NULL, "The recipient name is not recognized MSEXCH" },
      { "frank@example.org", "failed", NULL, NULL, NULL, "not recognized" },
    },
  },
  {
    "exchange2003-imc-host", "Exchange 2003 Internet Mail Connector: <host #code>",
    "exchange2003",
    "From: System Administrator <postmaster@example.net>\n"
    "Subject: Undeliverable: lunch\n"
    "X-Mailer: Microsoft Exchange Server Internet Mail Connector Version 4.0\n"
    "\n"
    "Your message did not reach some or all of the intended recipients.\n"
    "\n"
    "The following recipient(s) could not be reached:\n"
    "\n"
    "      ben@example.org on 11/2/2026 10:00 AM\n"
    "            The e-mail account does not exist at the organization this message was sent to.\n"
    "            <mx.example.org #5.1.1>\n"
    "\n",
    1, {
      { "ben@example.org", "failed", "5.1.1", NULL, "mx.example.org", "account does not exist" },
    },
  },
  {
    "outlook-empty-status", "Outlook.com notice whose status part is empty",
    "outlook",
    "From: postmaster@mail.hotmail.com\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"ms\"\n"
    "\n"
    "--ms\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is an automatically generated Delivery Status Notification.\n"
    "\n"
    "Delivery to the following recipients failed.\n"
    "\n"
    "       cody@example.org\n"
    "       dana@example.org\n"
    "\n"
    "--ms\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "--ms--\n",
    2, {
      { "cody@example.org", "failed", NULL, NULL, NULL, NULL },
      { "dana@example.org", "failed", NULL, NULL, NULL, NULL },
    },
  },
  {
    "gmail-permanent", "Gmail plain-text DSN, server's answer quoted",
    "gmail",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "To: sender@gmail.example.com\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "Delivery to the following recipient failed permanently:\n"
    "\n"
    "     grace@example.org\n"
    "\n"
    "Technical details of permanent failure:\n"
    "Google tried to deliver your message, but it was rejected by the server for the recipient domain example.org by mx.example.org. [192.0.2.30].\n"
    "\n"
    "The error that the other server returned was:\n"
    "550 5.1.1 <grace@example.org>... User unknown\n"
    "\n"
    "----- Original message -----\n"
    "\n"
    "From: sender@gmail.example.com\n"
    "To: grace@example.org\n",
    1, {
      { "grace@example.org", "failed", "5.1.1", "550", "mx.example.org",
        "550 5.1.1 <grace@example.org>... User unknown" },
    },
  },
  {
    "gmail-multiline-reply", "Gmail quoting a multi-line SMTP reply (RFC 5321 4.2.1)",
    "gmail",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "\n"
    "Delivery to the following recipient failed permanently:\n"
    "\n"
    "     iris@example.org\n"
    "\n"
    "Technical details of permanent failure:\n"
    "Google tried to deliver your message, but it was rejected by the server for the recipient domain example.org by mx.example.org. [192.0.2.32].\n"
    "\n"
    "The error that the other server returned was:\n"
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
    "550-5.1.1 double-checking the recipient's email address for typos or\n"
    "550 5.1.1 unnecessary spaces.\n"
    "\n"
    "----- Original message -----\n",
    1, {
      { "iris@example.org", "failed", "5.1.1", "550", "mx.example.org",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces." },
    },
  },
  {
    "gmail-delayed", "Gmail delay warning",
    "gmail",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "Subject: Delivery Status Notification (Delay)\n"
    "\n"
    "This is an automatically generated Delivery Status Notification\n"
    "\n"
    "THIS IS A WARNING MESSAGE ONLY.\n"
    "\n"
    "Delivery to the following recipient has been delayed:\n"
    "\n"
    "     heidi@example.org\n"
    "\n"
    "Message will be retried for 2 more day(s)\n"
    "\n"
    "Technical details of temporary failure:\n"
    "The recipient server did not accept our requests to connect.\n"
    "[(0) mx.example.org. [192.0.2.31]:25: socket error]\n"
    "\n"
    "----- Original message -----\n",
    1, {
      { "heidi@example.org", "delayed", NULL, NULL, "mx.example.org", "did not accept our requests" },
    },
  },
  {
    "googleworkspace-address-not-found", "Google's newer notice, recipient named",
    "googleworkspace",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "** Address not found **\n"
    "\n"
    "Your message wasn't delivered to ivan@example.org because the address couldn't be found, or is unable to receive mail.\n"
    "\n"
    "The response from the remote server was:\n"
    "550 5.1.1 <ivan@example.org>: Recipient address rejected: User unknown\n",
    1, {
      { "ivan@example.org", "failed", "5.1.1", "550", NULL, "Recipient address rejected" },
    },
  },
  {
    "googleworkspace-blocked", "Google's notice with another title, delayed",
    "googleworkspace",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "Subject: Delivery Status Notification (Delay)\n"
    "\n"
    "\n"
    "** Delivery incomplete **\n"
    "\n"
    "There was a temporary problem delivering your message to eve@example.org. Gmail will retry for 45 more hours.\n"
    "\n"
    "The response was:\n"
    "\n"
    "The recipient server did not accept our requests to connect. [mx.example.org 192.0.2.35: timed out]\n",
    1, {
      { "eve@example.org", "delayed", NULL, NULL, NULL, "did not accept our requests" },
    },
  },
  {
    "googleworkspace-send-as", "Google's notice naming nobody: the returned message's To",
    "googleworkspace",
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "** Message not delivered **\n"
    "\n"
    "You're sending this from a different address or alias using the 'Send mail as' feature.\n"
    "\n"
    "The response was:\n"
    "\n"
    "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability\n"
    "--b1\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: <sender@example.com>\n"
    "To: <judy@example.org>\n"
    "Subject: hi\n"
    "\n"
    "hi\n"
    "--b1--\n",
    1, {
      { "judy@example.org", "failed", NULL, NULL, NULL, "does not advertise AUTH" },
    },
  },
  {
    "yahoo-remote-host-said", "Yahoo failure notice",
    "yahoo",
    "From: MAILER-DAEMON@yahoo.example.com\n"
    "Subject: Failure Notice\n"
    "\n"
    "Sorry, we were unable to deliver your message to the following address.\n"
    "\n"
    "<ken@example.org>:\n"
    "Remote host said: 554 5.7.9 Message not accepted for policy reasons [DATA]\n"
    "\n"
    "--- Below this line is a copy of the message.\n"
    "\n"
    "From: sender@yahoo.example.com\n"
    "To: ken@example.org\n",
    1, {
      { "ken@example.org", "failed", "5.7.9", "554", NULL, "Message not accepted for policy reasons" },
    },
  },
  {
    "yahoo-code-colon", "Yahoo failure notice, \"550:\" form, two recipients",
    "yahoo",
    "From: MAILER-DAEMON@yahoo.example.com\n"
    "Subject: Failure Notice\n"
    "\n"
    "Sorry, we were unable to deliver your message to the following address.\n"
    "\n"
    "<leo@example.org>:\n"
    "550: 5.1.1 <leo@example.org>... User Unknown\n"
    "\n"
    "<mia@example.net>:\n"
    "No mx record found for domain=example.net\n"
    "\n"
    "--- Below this line is a copy of the message.\n"
    "\n"
    "To: <nobody-here@example.org>\n",
    2, {
      { "leo@example.org", "failed", "5.1.1", "550", NULL, "User Unknown" },
      { "mia@example.net", "failed", NULL, NULL, NULL, "No mx record found" },
    },
  },
  {
    "amazonses-json", "SES bounce notification by e-mail, a short line ending in '!' is no fold",
    "amazonses",
    "From: no-reply@sns.amazonaws.com\n"
    "Subject: AWS Notification Message\n"
    "x-amz-sns-message-id: 00000000-0000-0000-0000-000000000000\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bouncedRecipients\":"
    "[{\"emailAddress\":\"nina@example.org\",\"action\":\"failed\",\"status\":\"5.1.1\","
    "\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}],\"reportingMTA\":\"dsn; a1-2.smtp-out.example.com\"},"
    "\"mail\":{\"commonHeaders\":{\"from\":[\"sender@example.com\"],\"to\":[\"nina@example.org\"],\"subj!\n"
    " ect\":\"hello\"}}}\n"
    "\n"
    "--\n"
    "If you wish to stop receiving notifications from this topic, visit the link below.\n",
    1, {
      { "nina@example.org", "failed", "5.1.1", "550", NULL, "550 5.1.1 user unknown" },
    },
  },
  {
    "amazonses-sns-envelope", "SNS envelope with the SES notification as a string",
    "amazonses",
    "From: AWS Notifications <no-reply@sns.amazonaws.com>\n"
    "Subject: AWS Notification Message\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "{\n"
    "  \"Type\" : \"Notification\",\n"
    "  \"Message\" : \"{\\\"notificationType\\\":\\\"Bounce\\\",\\\"bounce\\\":{\\\"bounceType\\\":\\\"Transient\\\","
    "\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"oscar@example.org\\\",\\\"status\\\":\\\"4.2.2\\\","
    "\\\"diagnosticCode\\\":\\\"smtp; 452 4.2.2 mailbox full\\\"}]}}\"\n"
    "}\n",
    1, {
      { "oscar@example.org", "delayed", "4.2.2", "452", NULL, "mailbox full" },
    },
  },
  {
    "amazonses-first-layout", "SES's first text layout, status part empty",
    "amazonses",
    "From: MAILER-DAEMON@email-bounces.amazonses.com\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"s\"\n"
    "\n"
    "--s\n"
    "Content-Type: text/plain\n"
    "\n"
    "The following message to <gail@example.org> was undeliverable.\n"
    "The reason for the problem:\n"
    "5.1.0 - Unknown address error 550-'5.1.1 <gail@example.org>... User unknown'\n"
    "\n"
    "--s\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "--s--\n",
    1, {
      { "gail@example.org", "failed", "5.1.1", "550", NULL, "Unknown address error" },
    },
  },
  {
    "amazonworkmail-technical-report", "WorkMail notice with a DSN as text",
    "amazonworkmail",
    "From: MAILER-DAEMON@us-west-2.amazonses.com\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "X-Mailer: Amazon WorkMail\n"
    "Content-Type: text/plain\n"
    "\n"
    "An error occurred while trying to deliver the mail to the following recipients:\n"
    "peggy@example.org\n"
    "\n"
    "Technical report:\n"
    "\n"
    "Reporting-MTA: dsn; a1-2.smtp-out.us-west-2.amazonses.com\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822; peggy@example.org\n"
    "Diagnostic-Code: smtp; 550 5.2.1 <peggy@example.org>... Mailbox disabled\n"
    "Status: 5.2.1\n",
    1, {
      { "peggy@example.org", "failed", "5.2.1", "550", NULL, "Mailbox disabled" },
    },
  },
  {
    "amazonworkmail-expired", "WorkMail/SES expiry: the remote server's reply code in angle brackets",
    "amazonworkmail",
    "From: MAILER-DAEMON@us-west-2.amazonses.com\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "X-Mailer: Amazon WorkMail\n"
    "\n"
    "An error occurred while trying to deliver the mail to the following recipients:\n"
    "hank@example.org\n"
    "\n"
    "Technical report:\n"
    "\n"
    "Reporting-MTA: dsn; a1-3.smtp-out.us-west-2.amazonses.com\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822; hank@example.org\n"
    "Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>\n"
    "Status: 4.4.7\n",
    1, {
      { "hank@example.org", "failed", "4.4.7", "421", NULL, "Connection timed out" },
    },
  },
  {
    "receivingses-to-of-domain", "SES receiving side, status part empty: the To in the postmaster's domain",
    "receivingses",
    "From: postmaster@example.org\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "X-SES-Outgoing: 2026.11.23-192.0.2.7\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n"
    "\n"
    "--r\n"
    "Content-Type: text/plain\n"
    "\n"
    "This message could not be delivered.\n"
    "--r\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "--r\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "From: sender@example.com\n"
    "To: ivy@example.org, jack@example.net\n"
    "Subject: hello\n"
    "\n"
    "--r--\n",
    1, {
      { "ivy@example.org", "failed", NULL, NULL, NULL, NULL },
    },
  },
  {
    "mailru-exim", "mail.ru notice in Exim's layout with a Russian preamble",
    "mailru",
    "From: mailer-daemon@corp.mail.ru\n"
    "Subject: Mail failure.\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Это письмо создано автоматически сервером Mail.Ru, отвечать на него не нужно.\n"
    "\n"
    "К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:\n"
    "\n"
    "  quinn@example.org\n"
    "    (generated from alias@example.net)\n"
    "    SMTP error from remote mail server after RCPT TO:<quinn@example.org>:\n"
    "    host mx.example.org [192.0.2.40]: 550 5.1.1 <quinn@example.org>... User unknown\n"
    "\n"
    "  rita@example.org\n"
    "    SMTP error from remote mail server after end of data:\n"
    "    host mx.example.org [192.0.2.40]: 552 :\n"
    "    Message too large\n"
    "\n"
    "------ This is a copy of the message, including all the headers. ------\n"
    "\n"
    "To: quinn@example.org, rita@example.org\n",
    2, {
      { "quinn@example.org", "failed", "5.1.1", "550", "mx.example.org", "User unknown" },
      { "rita@example.org", "failed", NULL, "552", "mx.example.org", "Message too large" },
    },
  },
  {
    "gmx-quoted-addresses", "GMX notice, quoted addresses, host line",
    "gmx",
    "From: MAILER-DAEMON@mail.gmx.example\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "A message that you sent could not be delivered to one or more of\n"
    "its recipients. This is a permanent error. The following address\n"
    "failed:\n"
    "\n"
    "\"sam@example.org\":\n"
    "SMTP error from remote server after RCPT command:\n"
    "host: mx.example.org\n"
    "5.2.2 <sam@example.org>... Mailbox Full\n"
    "\n"
    "--- The header of the original message is following. ---\n"
    "\n"
    "To: sam@example.org\n",
    1, {
      { "sam@example.org", "failed", "5.2.2", NULL, "mx.example.org", "5.2.2 <sam@example.org>... Mailbox Full" },
    },
  },
  {
    "einsundeins-reason", "1&1 notice, reason on the host line",
    "einsundeins",
    "From: \"Mail Delivery System\" <mailer-daemon@kundenserver.de>\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "\n"
    "A message that you sent could not be delivered to one or more of\n"
    "its recipients. This is a permanent error. The following address(es)\n"
    "failed:\n"
    "\n"
    "tom@example.org:\n"
    "SMTP error from remote server for TEXT command, host: mx.example.org (192.0.2.50) reason: 550 5.7.1 Message rejected as spam\n"
    "\n"
    "--- The header of the original message is following. ---\n",
    1, {
      { "tom@example.org", "failed", "5.7.1", "550", "mx.example.org", "550 5.7.1 Message rejected as spam" },
    },
  },
  {
    "zoho-error-code", "Zoho failure, ERROR_CODE line, headers of the message after it",
    "zoho",
    "From: mailer-daemon@mail.zoho.example\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "A message that you sent could not be delivered to one or more of its recipients. This is a permanent error.\n"
    "\n"
    "uma@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <uma@example.org>... User Unknown\n"
    "\n"
    "\n"
    "Received:from mail.zoho.example by mx.zoho.example\n"
    "Message-ID:<1.2@zoho.example>\n"
    "From:Sender <sender@zoho.example>\n"
    "To:<uma@example.org>\n"
    "Subject:hello\n",
    1, {
      { "uma@example.org", "failed", "5.1.1", "550", NULL, "User Unknown" },
    },
  },
  {
    "zoho-delay", "Zoho delay warning",
    "zoho",
    "From: mailer-daemon@mail.zoho.example\n"
    "Subject: Mail Delivery Status Notification (Delay)\n"
    "\n"
    "THIS IS A WARNING MESSAGE ONLY.\n"
    "\n"
    "----- The following addresses had fatal errors -----\n"
    "[Status: Error, Address: <vic@example.org>, ResponseCode 421, , Host not reachable.]\n"
    "\n"
    "Message will be retried for 4 more day(s)\n",
    1, {
      { "vic@example.org", "delayed", NULL, "421", NULL, "Host not reachable." },
    },
  },
  {
    "exchange-postmaster-refused", "an NDR whose administrators' section names the postmaster",
    "exchange2007",
    "From: postmaster@example.net\n"
    "Subject: Undeliverable: x\n"
    "\n"
    "Diagnostic information for administrators:\n"
    "\n"
    "Generating server: mail.example.net\n"
    "\n"
    "postmaster@example.net\n"
    "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n"
    "\n"
    "wendy@example.org\n"
    "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n"
    "\n"
    "Original message headers:\n",
    1, {
      { "wendy@example.org", "failed", "5.1.1", "550", NULL, "RecipNotFound" },
    },
  },
};

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceReport) report = NULL;

  g_test_message ("%s (%s)", c->name, c->source);
  report = bounce_report_parse (c->message, strlen (c->message), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_cmpstr (bounce_kind_to_string (report->kind), ==, "legacy-bounce");
  g_assert_cmpstr (report->format, ==, c->format);
  g_assert_cmpuint (report->recipients->len, ==, c->count);
  for (guint i = 0; i < c->count; i++)
    {
      const Expected *e = &c->rcpts[i];
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      g_assert_cmpstr (r->recipient, ==, e->recipient);
      g_assert_cmpstr (r->action, ==, e->action);
      g_assert_cmpstr (r->status_source ? NULL : r->status, ==, e->status);
      g_assert_cmpstr (r->reply_code, ==, e->reply_code);
      if (e->remote_mta != NULL)
        g_assert_cmpstr (r->remote_mta, ==, e->remote_mta);
      if (e->diagnostic == NULL)
        {
          g_assert_null (r->diagnostic);
          continue;
        }
      g_assert_nonnull (r->diagnostic);
      if (strstr (r->diagnostic, e->diagnostic) == NULL)
        g_error ("diagnostic \"%s\" lacks \"%s\"", r->diagnostic, e->diagnostic);
      g_assert_null (strchr (r->diagnostic, '\n'));
    }
}

/* ---- a JSON notification whose long line a relay folded ------------------ */

/* Sendmail breaks lines longer than 990 octets with "!" CRLF SP; the fold
 * falls anywhere, here inside a key of the returned message's headers. */
static void
test_ses_folded (void)
{
  g_autofree char *padding = g_strnfill (950, 'x');
  g_autofree char *message = g_strdup_printf (
    "From: no-reply@sns.amazonaws.com\n"
    "Subject: AWS Notification Message\n"
    "x-amz-sns-message-id: 00000000-0000-0000-0000-000000000002\n"
    "\n"
    "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
    "[{\"emailAddress\":\"olga@example.org\",\"status\":\"5.1.1\"}]},"
    "\"mail\":{\"source\":\"%s\",\"commonHeaders\":{\"subj!\n"
    " ect\":\"hello\"}}}\n", padding);
  g_autoptr(BounceReport) report = bounce_report_parse (message, strlen (message), NULL, NULL);

  g_assert_nonnull (report);
  g_assert_cmpstr (report->format, ==, "amazonses");
  g_assert_cmpuint (report->recipients->len, ==, 1);
  g_assert_cmpstr (report->original.subject, ==, "hello");
}

/* ---- notices the provider recognisers must leave alone ------------------- */

typedef struct {
  const char *name;
  const char *message;
} Foreign;

static const Foreign foreign[] = {
  {
    "postfix-notice", /* Postfix's bounce(8) text: the MTA table's. */
    "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "\n"
    "This is the mail system at host mail.example.com.\n"
    "\n"
    "<xavier@example.org>: host mx.example.org[192.0.2.60] said: 550 5.1.1\n"
    "    <xavier@example.org>: Recipient address rejected: User unknown\n",
  },
  {
    "qmail-notice", /* qmail-send: close to Yahoo's, without its phrase. */
    "From: MAILER-DAEMON@mail.example.com\n"
    "Subject: failure notice\n"
    "\n"
    "Hi. This is the qmail-send program at mail.example.com.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "\n"
    "<yolanda@example.org>:\n"
    "192.0.2.61 does not like recipient.\n"
    "Remote host said: 550 5.1.1 unknown user\n"
    "\n"
    "--- Below this line is a copy of the message.\n",
  },
  {
    "exim-notice", /* plain Exim, not from mail.ru, GMX or 1&1 */
    "From: Mail Delivery System <Mailer-Daemon@mail.example.com>\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "\n"
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n"
    "\n"
    "  zack@example.org\n"
    "    SMTP error from remote mail server after RCPT TO:<zack@example.org>:\n"
    "    host mx.example.org [192.0.2.62]: 550 5.1.1 User unknown\n",
  },
  {
    "exim-returning-mail-ru-text", /* Exim returning a message that names Mail.Ru */
    "From: Mail Delivery System <Mailer-Daemon@mail.example.com>\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "\n"
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n"
    "\n"
    "  anna@example.org\n"
    "    SMTP error from remote mail server after RCPT TO:<anna@example.org>:\n"
    "    host mx.example.org [192.0.2.63]: 550 5.1.1 User unknown\n"
    "\n"
    "------ This is a copy of the message, including all the headers. ------\n"
    "\n"
    "Subject: my new address at Mail.Ru\n",
  },
  {
    "ordinary-mail", /* mentions a provider's phrase, but is no notice */
    "From: friend@example.com\n"
    "To: me@example.org\n"
    "Subject: lunch\n"
    "\n"
    "Did you see the line \"Technical details of permanent failure\" again?\n",
  },
  {
    "quoting-gmail", /* a person pasting a notice into a question */
    "From: Pat <pat@gmail.example.com>\n"
    "To: help@example.com\n"
    "Subject: why?\n"
    "\n"
    "I keep getting this:\n"
    "\n"
    "Delivery to the following recipient failed permanently:\n"
    "\n"
    "     friend@example.org\n",
  },
  {
    "person-at-gmx", /* mail from a GMX user, in the layout's words */
    "From: Chris <chris@gmx.example>\n"
    "Subject: list\n"
    "\n"
    "This is a permanent error.\n"
    "\n"
    "friend@example.org:\n"
    "host: mx.example.org\n",
  },
};

static const char *const provider_formats[] = {
  "amazonses", "amazonworkmail", "receivingses", "office365", "exchange2007", "exchange2003",
  "outlook", "gmail", "googleworkspace", "yahoo", "mailru", "gmx", "einsundeins", "zoho",
};

static void
test_foreign (gconstpointer data)
{
  const Foreign *f = data;
  g_autoptr(BounceReport) report = bounce_report_parse (f->message, strlen (f->message), NULL, NULL);

  g_assert_nonnull (report);
  for (gsize i = 0; i < G_N_ELEMENTS (provider_formats); i++)
    g_assert_cmpstr (report->format, !=, provider_formats[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/legacy/provider/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/legacy/provider/amazonses-folded-json", test_ses_folded);
  for (gsize i = 0; i < G_N_ELEMENTS (foreign); i++)
    {
      g_autofree char *path = g_strdup_printf ("/legacy/provider/foreign/%s", foreign[i].name);
      g_test_add_data_func (path, &foreign[i], test_foreign);
    }
  return g_test_run ();
}
