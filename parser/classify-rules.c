/* classify-rules.c - the built-in classification rules
 *
 * Data only (STYLE.md 14): one row per rule, each with a name that the
 * evidence carries ("diagnostic:<name>", "status:<code>").  classify.c
 * decides in which order the tables are consulted; bounced-reasons(7)
 * describes them for users.
 *
 * Sources: RFC 3463 and the IANA "SMTP Enhanced Status Codes" registry
 * (codes and their descriptions, which some servers send as text),
 * RFC 5321 (reply codes), RFC 7504 (521/556), RFC 7505 (null MX,
 * x.1.10/x.7.27), RFC 7372 (x.7.20-x.7.26), RFC 8617 (ARC, x.7.29),
 * RFC 8689 (REQUIRETLS, x.7.30), and the published error pages of the
 * mailbox providers named in the rows.
 *
 * Writing a phrase rule: the phrase is lower case and is found anywhere in
 * the diagnostic (collapsed whitespace, so "550-5.7.1" continuation
 * prefixes may sit between words of a long provider text: keep phrases
 * within one line of the provider's text).  Prefer the wording a class of
 * servers sends over the text of one sample.  Every row is exercised by
 * tests/test-classify.c.
 */
#include "classify-private.h"

#define HIGH .priority = CLASSIFY_P_HIGH
#define LOW .priority = CLASSIFY_P_LOW
#define PROVIDER .priority = CLASSIFY_P_PROVIDER
#define WEAK .flags = CLASSIFY_WEAK
#define WORD .flags = CLASSIFY_WORD
#define AFTER_HOST .flags = CLASSIFY_AFTER_HOST
#define LOOKUP .flags = CLASSIFY_LOOKUP
#define P(name_, reason_, phrase_, ...) \
  { .name = name_, .reason = reason_, .phrase = phrase_, __VA_ARGS__ }

const ClassifyPhraseRule classify_phrase_rules[] = {
  /* ---- userunknown: the mailbox does not exist ------------------------- */
  P ("user-unknown", "userunknown", "user unknown"),
  P ("unknown-user", "userunknown", "unknown user"),
  P ("user-is-unknown", "userunknown", "user is unknown"),
  P ("no-such-user", "userunknown", "no such user"),
  P ("no-such-mailbox", "userunknown", "no such mailbox"),
  P ("no-such-recipient", "userunknown", "no such recipient"),
  P ("no-such-account", "userunknown", "no such account"),
  P ("no-such-person", "userunknown", "no such person"),
  P ("no-such-local-user", "userunknown", "no such local user"),
  P ("unknown-recipient", "userunknown", "unknown recipient"),
  P ("recipient-unknown", "userunknown", "recipient unknown"),
  P ("recipient-not-found", "userunknown", "recipient not found", LOOKUP),
  P ("unknown-mailbox", "userunknown", "unknown mailbox"),
  P ("mailbox-unknown", "userunknown", "mailbox unknown"),
  P ("mailbox-not-found", "userunknown", "mailbox not found", LOOKUP),
  P ("mailbox-does-not-exist", "userunknown", "mailbox does not exist", LOOKUP),
  P ("mailbox-doesnt-exist", "userunknown", "mailbox doesn't exist", LOOKUP),
  P ("user-not-found", "userunknown", "user not found", LOOKUP),
  P ("user-does-not-exist", "userunknown", "user does not exist", LOOKUP),
  P ("user-doesnt-exist", "userunknown", "user doesn't exist", LOOKUP),
  P ("user-not-exist", "userunknown", "user not exist", LOOKUP),
  P ("account-does-not-exist", "userunknown", "account does not exist", LOOKUP),
  P ("address-does-not-exist", "userunknown", "address does not exist", LOOKUP),
  P ("address-unknown", "userunknown", "address unknown"),
  P ("invalid-recipient", "userunknown", "invalid recipient"),
  P ("invalid-mailbox", "userunknown", "invalid mailbox"),
  P ("invalid-user", "userunknown", "invalid user"),
  P ("unknown-or-illegal-user", "userunknown", "unknown or illegal user"),
  P ("unknown-local-part", "userunknown", "unknown local part"),
  P ("unknown-local-part-hyphen", "userunknown", "unknown local-part"),
  P ("not-a-valid-mailbox", "userunknown", "not a valid mailbox"),
  P ("not-a-valid-user", "userunknown", "is not a valid user"),
  P ("no-mailbox-here", "userunknown", "no mailbox here by that name"),
  /* mail.local(8), the local delivery program of Sendmail systems: the
   * mailbox host itself says the user does not exist. */
  P ("mail-local-unknown-user", "userunknown", "mail.local: unknown user", HIGH),
  P ("user-not-listed", "userunknown", "user not listed", PROVIDER),
  P ("not-our-customer", "userunknown", "not our customer"),
  P ("no-account-by-that-name", "userunknown", "no account by that name"),
  P ("bad-destination-mailbox", "userunknown", "bad destination mailbox address"),
  P ("recipient-address-access-denied", "userunknown", "recipient address rejected: access denied"),
  P ("recipient-address-rejected-invalid", "userunknown", "recipient address rejected: invalid"),
  P ("adresse-destinataire-invalide", "userunknown", "adresse destinataire invalide"),
  P ("does-not-have-an-account", "userunknown", "doesn't have a * account"),
  P ("account-you-tried-does-not-exist", "userunknown", "account that you tried to reach does not exist", PROVIDER),
  P ("exchange-recipient-not-found", "userunknown", "resolver.adr.recipnotfound", PROVIDER),
  P ("exchange-recipient-not-found-long", "userunknown", "resolver.adr.recipientnotfound", PROVIDER),
  P ("exchange-ex-recipient-not-found", "userunknown", "resolver.adr.exrecipnotfound", PROVIDER),
  P ("microsoft-dbeb-access-denied", "userunknown", "access denied", .status = "5.4.1", PROVIDER),
  P ("outlook-mailbox-unavailable", "userunknown", "requested action not taken: mailbox unavailable",
    .host = "outlook.com|hotmail.com|live.com|msn.com|outlook.jp|hotmail.co.jp" , PROVIDER),
  P ("mailbox-unavailable", "userunknown", "mailbox unavailable", WEAK),
  P ("address-rejected", "userunknown", "address rejected", .status = "x.1.x", WEAK),
  P ("recipient-rejected", "userunknown", "recipient rejected", WEAK),
  P ("invalid-address", "userunknown", "invalid address", WEAK),
  P ("unable-to-deliver-to-recipient-check", "userunknown", "please check if address is correct"),
  /* Trend Micro InterScan Messaging Security Suite: its notice for an
   * address the next hop refused for good names the address and no code. */
  P ("interscan-unable-to-deliver", "userunknown",
     "unable to deliver message to * (and other recipients in the same domain)"),
  P ("address-not-present-in-directory", "userunknown", "not present in directory"),
  P ("no-such-address", "userunknown", "no such address"),
  P ("recipient-does-not-exist", "userunknown", "recipient does not exist"),
  P ("recipient-not-exist", "userunknown", "recipient not exist"),
  P ("addressee-unknown", "userunknown", "addressee unknown"),
  P ("user-not-known", "userunknown", "user not known"),
  P ("unknown-email-address", "userunknown", "unknown e-mail address"),
  P ("unknown-or-illegal-alias", "userunknown", "unknown or illegal alias"),
  P ("invalid-account", "userunknown", "invalid account"),
  P ("not-a-valid-recipient", "userunknown", "not a valid recipient"),
  P ("no-valid-recipients", "userunknown", "no valid recipients"),
  P ("no-one-at-this-address", "userunknown", "no one at this address"),
  P ("email-address-does-not-exist", "userunknown", "email address does not exist"),
  P ("qmail-badrcptto", "userunknown", "badrcptto list", PROVIDER),
  P ("vdeliver-unknown-virtual-user", "userunknown", "unknown virtual user"),
  P ("user-missing-home-directory", "userunknown", "missing home directory"),
  P ("undeliverable-address", "userunknown", "undeliverable address", WEAK),
  P ("no-longer-accepts-mail", "userunknown", "address no longer accepts mail"),
  P ("address-you-entered-not-found", "userunknown", "you entered couldn't be found", PROVIDER),
  P ("address-you-entered-not-found-typographic", "userunknown", "you entered couldn\u2019t be found", PROVIDER),
  P ("compte-inexistant", "userunknown", "compte inexistant"),
  P ("domino-directory", "userunknown", "not listed in domino directory", PROVIDER),
  P ("notes-directory-japanese", "userunknown", "\u30c7\u30a3\u30ec\u30af\u30c8\u30ea\u306e\u30ea\u30b9\u30c8\u306b\u3042\u308a\u307e\u305b\u3093", PROVIDER),
  P ("not-found-at-destination-domain", "userunknown", "found at the destination domain", PROVIDER),
  P ("address-could-not-be-found", "userunknown", "address couldn't be found", PROVIDER),
  P ("address-could-not-be-found-typographic", "userunknown", "address couldn\u2019t be found", PROVIDER),

  /* ---- hostunknown: the domain does not exist -------------------------- */
  P ("host-unknown", "hostunknown", "host unknown"),
  P ("unknown-host", "hostunknown", "unknown host"),
  P ("host-not-found", "hostunknown", "host not found"),
  P ("host-or-domain-not-found", "hostunknown", "host or domain name not found"),
  P ("domain-not-found", "hostunknown", "domain not found"),
  P ("domain-name-not-found", "hostunknown", "domain name not found"),
  P ("domain-does-not-exist", "hostunknown", "domain does not exist"),
  P ("no-such-domain", "hostunknown", "no such domain"),
  P ("unknown-domain", "hostunknown", "unknown domain"),
  P ("invalid-domain", "hostunknown", "invalid domain"),
  P ("nxdomain", "hostunknown", "nxdomain", WORD),
  P ("domain-not-reachable", "hostunknown", "domain is not reachable"),
  P ("host-lookup-failed", "hostunknown", "host lookup failed"),
  P ("bad-destination-system", "hostunknown", "bad destination system address"),
  P ("dns-no-relevant-answers", "hostunknown", "lookup of * had no relevant answers"),
  P ("unrouteable-address", "hostunknown", "unrouteable address"),
  P ("unroutable-address", "hostunknown", "unroutable address"),
  P ("unrouteable-mail-domain", "hostunknown", "unrouteable mail domain"),
  P ("dns-lookup-host-not-found", "hostunknown", "lookup failure: host * not found"),
  P ("account-or-domain-may-not-exist", "hostunknown", "account or domain may not exist", PROVIDER),
  P ("unrouted-address", "hostunknown", "unrouted address"),
  P ("name-or-service-not-known", "hostunknown", "name or service not known"),
  P ("could-not-find-any-host", "hostunknown", "couldn't find any host"),
  P ("illegal-host-domain-name", "hostunknown", "illegal host/domain name"),
  P ("recipient-domain-must-exist", "hostunknown", "domain must exist"),
  P ("mx-points-to-non-existent-hosts", "hostunknown", "point to non-existent hosts"),
  P ("exchange-nonexistent-domain", "hostunknown", "nonexistentdomain", PROVIDER),
  P ("nonexistent-domain", "hostunknown", "nonexistent domain"),
  P ("domain-name-incorrect", "hostunknown", "domain name in the email address is incorrect", PROVIDER),
  /* "553 mail.example.com does not exist": a server naming the domain it
   * cannot find. */
  P ("named-host-does-not-exist", "hostunknown", "does not exist", AFTER_HOST),

  /* ---- hasmoved -------------------------------------------------------- */
  P ("mailbox-has-moved", "hasmoved", "mailbox has moved"),
  P ("user-has-moved", "hasmoved", "user has moved"),
  P ("user-not-local", "hasmoved", "user not local; please try"),
  P ("address-has-changed", "hasmoved", "address has changed"),

  /* ---- notaccept: the destination takes no mail (RFC 7504, RFC 7505) ---- */
  P ("does-not-accept-mail", "notaccept", "does not accept mail"),
  P ("doesnt-accept-mail", "notaccept", "doesn't accept mail"),
  P ("does-not-receive-mail", "notaccept", "doesn't receive email"),
  P ("null-mx", "notaccept", "null mx"),
  P ("no-mx-record", "notaccept", "no mx record"),
  P ("no-mx-found", "notaccept", "no mx found"),
  P ("not-accepting-network-messages", "notaccept", "not accepting network messages"),

  /* ---- mailboxfull ----------------------------------------------------- */
  P ("mailbox-full", "mailboxfull", "mailbox full", HIGH),
  P ("mailbox-is-full", "mailboxfull", "mailbox is full", HIGH),
  P ("inbox-full", "mailboxfull", "inbox is full", HIGH),
  P ("over-quota", "mailboxfull", "over quota", HIGH),
  P ("quota-exceeded", "mailboxfull", "quota exceeded", HIGH),
  P ("quota-exceed", "mailboxfull", "exceeded * quota", HIGH),
  P ("mailbox-quota", "mailboxfull", "mailbox quota", HIGH),
  P ("exceeded-storage-allocation", "mailboxfull", "exceeded storage allocation", HIGH),
  P ("mailbox-exceeds-allowed-size", "mailboxfull", "mailbox exceeds allowed size", HIGH),
  P ("mailbox-size-limit", "mailboxfull", "mailbox size limit", HIGH),
  P ("not-enough-space-mailbox", "mailboxfull", "not enough space", HIGH),
  P ("exchange-quota-exceeded", "mailboxfull", "quotaexceededexception", PROVIDER),
  P ("account-is-full", "mailboxfull", "account is full", HIGH),
  P ("full-mailbox", "mailboxfull", "full mailbox", HIGH),
  P ("mail-box-full", "mailboxfull", "mail box full", HIGH),
  P ("mailbox-exceeded", "mailboxfull", "mailbox exceeded", HIGH),
  P ("mailbox-has-exceeded", "mailboxfull", "mailbox has exceeded", HIGH),
  P ("over-disk-quota", "mailboxfull", "over disk quota", HIGH),
  P ("disk-space-limit", "mailboxfull", "disk space limit", HIGH),
  P ("not-enough-storage-space", "mailboxfull", "not enough storage", HIGH),
  P ("not-enough-disk-space", "mailboxfull", "not enough disk space", HIGH),
  P ("quota-violation", "mailboxfull", "quota violation", HIGH),
  P ("reached-disk-quota", "mailboxfull", "reached disk quota", HIGH),
  P ("exceed-maximum-allowed-storage", "mailboxfull", "exceed maximum allowed storage", HIGH),
  P ("not-enough-diskspace", "mailboxfull", "enough diskspace", HIGH),
  P ("over-the-allowed-quota", "mailboxfull", "over the allowed quota", HIGH),
  P ("user-over-quota", "mailboxfull", "over the quota", HIGH),
  P ("google-over-quota", "mailboxfull", "overquota", PROVIDER),
  P ("boite-pleine", "mailboxfull", "boite du destinataire pleine", PROVIDER),
  P ("out-of-storage-space", "mailboxfull", "out of storage space", HIGH),
  P ("too-many-messages-in-mailbox", "mailboxfull", "too many messages on the server", PROVIDER),

  /* ---- suspend: the mailbox exists but takes no mail -------------------- */
  P ("account-disabled", "suspend", "account disabled", HIGH),
  P ("account-is-disabled", "suspend", "account is disabled", HIGH),
  P ("account-has-been-disabled", "suspend", "account has been disabled", HIGH),
  P ("mailbox-disabled", "suspend", "mailbox disabled", HIGH),
  P ("mailbox-is-disabled", "suspend", "mailbox is disabled", HIGH),
  P ("disabled-recipient", "suspend", "disabled recipient", HIGH),
  P ("account-inactive", "suspend", "account is inactive", HIGH),
  P ("inactive-account", "suspend", "inactive account", HIGH),
  P ("mailbox-inactive", "suspend", "mailbox is inactive", HIGH),
  P ("account-suspended", "suspend", "account has been suspended", HIGH),
  P ("account-is-suspended", "suspend", "account is suspended", HIGH),
  P ("mailbox-frozen", "suspend", "mailbox is frozen", HIGH),
  P ("account-frozen", "suspend", "account is frozen", HIGH),
  P ("account-locked", "suspend", "account is locked", HIGH),
  P ("temporarily-locked", "suspend", "temporary locked", HIGH),
  P ("temporarily-locked-2", "suspend", "temporarily locked", HIGH),
  P ("recipient-account-blocked", "suspend", "recipient account is blocked", HIGH),
  P ("account-deactivated", "suspend", "account has been deactivated", HIGH),
  P ("account-expired", "suspend", "account has expired", HIGH),
  P ("google-disabled-user", "suspend", "disableduser", PROVIDER),
  P ("account-you-tried-is-disabled", "suspend", "account that you tried to reach is disabled", PROVIDER),
  P ("temporarily-suspended", "suspend", "has been temporarily suspended", HIGH),
  P ("currently-suspended", "suspend", "currently suspended", HIGH),
  P ("user-suspended", "suspend", "user suspended", HIGH),
  P ("user-is-terminated", "suspend", "user is terminated", HIGH),
  P ("deactivated-mailbox", "suspend", "deactivated mailbox", HIGH),
  P ("temporarily-inactive", "suspend", "temporarily inactive", HIGH),
  P ("extended-inactivity", "suspend", "extended inactivity", HIGH),
  P ("boite-archivee", "suspend", "boite du destinataire archivee", PROVIDER),
  P ("is-disabled", "suspend", "is disabled", WEAK),
  P ("is-inactive", "suspend", "is inactive", WEAK),

  /* ---- exceedlimit / mesgtoobig ---------------------------------------- */
  P ("exceeds-administrative-limit", "exceedlimit", "message length exceeds administrative limit", HIGH),
  P ("message-header-size-exceeds", "exceedlimit", "message header size exceeds limit", HIGH),
  P ("message-too-big", "mesgtoobig", "message too big", HIGH),
  P ("message-too-large", "mesgtoobig", "message too large", HIGH),
  P ("message-is-too-large", "mesgtoobig", "message is too large", HIGH),
  P ("message-size-exceeds", "mesgtoobig", "message size exceeds", HIGH),
  P ("size-exceeds", "mesgtoobig", "exceeds size limit", HIGH),
  P ("maximum-message-size", "mesgtoobig", "maximum message size", HIGH),
  P ("max-message-size-exceeded", "mesgtoobig", "max message size exceeded", HIGH),
  P ("exceeded-maximum-inbound-size", "mesgtoobig", "exceeded maximum inbound message size", HIGH),
  P ("message-file-too-big", "mesgtoobig", "message file too big", HIGH),
  P ("line-limit-exceeded", "mesgtoobig", "line limit exceeded", HIGH),
  P ("taille-limite", "mesgtoobig", "taille limite du message", HIGH),
  P ("size-limitation", "mesgtoobig", "size limitation", HIGH),
  P ("exceeds-maximum-size", "mesgtoobig", "exceeds maximum size", HIGH),
  P ("exceeds-the-maximum-size", "mesgtoobig", "exceeds the maximum size", HIGH),
  P ("exchange-recip-size-limit", "mesgtoobig", "resolver.rst.recipsizelimit", PROVIDER),

  /* ---- filtered: refused by a recipient-side filter --------------------- */
  P ("recipients-filter", "filtered", "recipient's filter"),
  P ("recipient-has-blocked", "filtered", "blocked by the recipient"),
  P ("rejected-by-recipient", "filtered", "rejected by recipient"),
  P ("mimecast-envelope-blocked", "filtered", "envelope blocked", PROVIDER),
  P ("mimecast-blocked-senders", "filtered", "blocked senders", PROVIDER),
  P ("recipient-preferences", "filtered", "recipient preferences"),
  P ("user-refuses", "filtered", "user refuses to accept"),
  P ("not-accepting-mail-from", "filtered", "not accepting mail from"),
  P ("has-restricted", "filtered", "has restricted"),
  P ("message-filtered", "filtered", "message filtered"),
  /* au (EZweb) says this of a recipient its own gateway refused; with no
   * SMTP reply beside it (a reply's words win, they rank higher), the
   * refusal is the recipient's reception filter. */
  P ("au-rejected-no-reply", "filtered", "each of the following recipients was rejected by a remote mail server",
    .host = "ezweb.ne.jp|au.com", LOW),
  P ("docomo-after-data-user-unknown", "filtered", " : user unknown", HIGH),

  /* ---- rejected: the sender was refused --------------------------------- */
  P ("sender-rejected", "rejected", "sender rejected"),
  /* Gmail/Workspace: a message sent through "Send mail as" with another
   * address, whose own SMTP server refused the account's settings. */
  P ("google-send-mail-as", "rejected", "settings for your 'send mail as' account", PROVIDER),
  P ("sender-address-rejected", "rejected", "sender address rejected"),
  P ("sender-verify-failed", "rejected", "sender verify failed"),
  P ("sender-verification-failed", "rejected", "sender verification failed"),
  P ("sender-denied", "rejected", "sender denied"),
  P ("sender-not-allowed", "rejected", "sender is not allowed"),
  P ("unroutable-sender", "rejected", "unroutable sender"),
  P ("unrouteable-sender", "rejected", "unrouteable sender"),
  P ("invalid-sender", "rejected", "invalid sender"),
  P ("bad-sender", "rejected", "bad sender"),
  P ("domain-of-sender", "rejected", "domain of sender address"),
  P ("sender-domain-listed", "rejected", "domain is listed in", HIGH),
  P ("from-domain-invalid", "rejected", "from: domain is invalid", HIGH),
  P ("bad-senders-address", "rejected", "bad sender's"),
  P ("purported-responsible-address", "rejected", "purported responsible address"),
  P ("address-blacklisted", "rejected", "address that has been blacklisted", HIGH),
  P ("not-permitted-to-post", "rejected", "permission to post"),
  P ("group-you-tried-to-contact", "rejected", "the group you tried to contact"),
  P ("exchange-auth-required", "rejected", "resolver.rst.authrequired", PROVIDER),
  P ("exchange-not-authorized", "rejected", "resolver.rst.notauthorized", PROVIDER),
  P ("exchange-bad-outbound-sender", "rejected", "bad outbound sender", PROVIDER),
  P ("batv", "rejected", "batv", WORD),
  P ("members-only-list", "rejected", "members-only list"),
  P ("null-sender-not-allowed", "rejected", "null sender is not allowed"),
  P ("empty-envelope-sender", "rejected", "empty envelope sender"),
  P ("sender-address-blacklisted", "rejected", "sender address has been blacklisted", PROVIDER),
  P ("email-address-blacklisted", "rejected", "email address has been blacklisted", PROVIDER),
  P ("sender-is-spammer", "rejected", "sender is spammer", PROVIDER),
  P ("not-allowed-to-post", "rejected", "not allowed to post"),
  P ("mail-from-not-owned", "rejected", "mail from not owned by user"),
  P ("returned-mail-not-accepted", "rejected", "returned mail not accepted"),
  P ("no-third-party-dsns", "rejected", "no third-party dsns"),
  P ("sender-domain-is-empty", "rejected", "sender domain is empty"),
  P ("sender-email-address-rejected", "rejected", "sender email address rejected"),
  P ("sender-address-not-allowed", "rejected", "sender address is not allowed"),
  P ("but-sender-was-rejected", "rejected", "but sender was rejected", HIGH),
  P ("not-a-valid-sender", "rejected", "recognized as a valid sender", PROVIDER),

  /* ---- blocked: the sending host was refused ---------------------------- */
  P ("blocked-using", "blocked", "blocked using", HIGH),
  P ("listed-at", "blocked", "listed at", HIGH),
  P ("listed-in", "blocked", "listed in", HIGH),
  P ("client-host-rejected", "blocked", "client host rejected"),
  P ("client-host-blocked", "blocked", "client host blocked", HIGH),
  P ("blacklisted", "blocked", "blacklisted"),
  P ("blocklisted", "blocked", "blocklisted"),
  P ("dnsbl", "blocked", "dnsbl"),
  P ("rbl", "blocked", "rbl", WORD),
  P ("spamhaus", "blocked", "spamhaus", HIGH),
  P ("spamcop", "blocked", "spamcop", HIGH),
  P ("barracudacentral", "blocked", "barracudacentral", HIGH),
  P ("sorbs", "blocked", "sorbs.net", HIGH),
  P ("ip-blocked", "blocked", "ip address has been blocked", HIGH),
  P ("your-ip-blocked", "blocked", "your ip", WEAK),
  P ("banned-sending-ip", "blocked", "banned sending ip", PROVIDER),
  P ("blocked-for-abuse", "blocked", "blocked for abuse", HIGH),
  P ("refused-to-talk", "blocked", "refused to talk to me", HIGH),
  P ("invalid-ip-for-sending", "blocked", "invalid ip for sending", HIGH),
  P ("adresse-ip-bloquee", "blocked", "adresse ip source bloquee", PROVIDER),
  P ("not-authorized-to-send-directly", "blocked", "not authorized to send email directly", PROVIDER),
  P ("unusual-rate-unsolicited", "blocked", "unusual rate of unsolicited mail", PROVIDER),
  P ("outlook-sc-001", "blocked", "sc-001", PROVIDER, WORD),
  P ("outlook-sc-002", "blocked", "sc-002", PROVIDER, WORD),
  P ("outlook-sc-003", "blocked", "sc-003", PROVIDER, WORD),
  P ("outlook-sc-004", "blocked", "sc-004", PROVIDER, WORD),
  P ("outlook-dy-001", "blocked", "dy-001", PROVIDER, WORD),
  P ("outlook-dy-002", "blocked", "dy-002", PROVIDER, WORD),
  P ("outlook-ou-001", "blocked", "ou-001", PROVIDER, WORD),
  P ("outlook-ou-002", "blocked", "ou-002", PROVIDER, WORD),
  P ("proofpoint-ipcheck", "blocked", "ipcheck.proofpoint.com", PROVIDER),
  P ("t-online-blocklist", "blocked", "to clarify.) (bl)", PROVIDER),
  P ("cox-aup-cx", "blocked", "aup#cx" , PROVIDER),
  P ("cox-aup-cdrbl", "blocked", "aup#cdrbl", PROVIDER),
  P ("cox-aup-bl", "blocked", "aup#bl", PROVIDER),
  P ("spectrum-aup-10", "blocked", "aup#in-10", PROVIDER),
  P ("spectrum-aup-11", "blocked", "aup#in-11", PROVIDER),
  P ("spectrum-aup-12", "blocked", "aup#in-12", PROVIDER),
  P ("helo-command-rejected", "blocked", "helo command rejected", HIGH),
  P ("host-network-not-allowed", "blocked", "host network not allowed", HIGH),
  P ("dynamic-ip", "blocked", "dynamic ip", HIGH),
  P ("open-proxy", "blocked", "open proxy", HIGH),
  P ("sender-ip-rejected", "blocked", "sender ip address rejected", HIGH),
  P ("not-accepting-mail-from-your-ip", "blocked", "accepting mail from your ip", PROVIDER),
  P ("black-list", "blocked", "black list", HIGH),
  P ("block-list", "blocked", "block list", HIGH),
  P ("blacklist", "blocked", "blacklist"),
  P ("blocklist", "blocked", "blocklist"),
  P ("not-allowed-to-connect", "blocked", "not allowed to connect", HIGH),
  P ("was-blocked-by", "blocked", "was blocked by"),
  P ("abuseat", "blocked", "abuseat.org", HIGH),
  P ("psbl", "blocked", "psbl", HIGH, WORD),
  P ("spamrats", "blocked", "spamrats", HIGH),
  P ("uceprotect", "blocked", "uceprotect", HIGH),
  P ("mailspike", "blocked", "mailspike", HIGH),
  P ("block-listed", "blocked", "block listed", HIGH),
  P ("yahoo-permanently-deferred", "blocked", "will be permanently deferred", PROVIDER),
  P ("greylisted", "blocked", "greylist", HIGH),
  P ("comcast-bl-codes", "blocked", "#bl00", PROVIDER),
  P ("blocked", "blocked", "blocked", WEAK),

  /* ---- badreputation ---------------------------------------------------- */
  P ("low-reputation", "badreputation", "low reputation", PROVIDER),
  P ("poor-reputation", "badreputation", "poor reputation", PROVIDER),
  P ("bad-reputation", "badreputation", "bad reputation", PROVIDER),
  P ("ip-reputation", "badreputation", "ip reputation", PROVIDER),
  P ("sender-reputation", "badreputation", "sender reputation", PROVIDER),
  P ("domain-reputation", "badreputation", "domain reputation", PROVIDER),
  P ("yahoo-user-complaints", "badreputation", "user complaints", PROVIDER),
  P ("reputation", "badreputation", "reputation"),

  /* ---- requireptr ------------------------------------------------------- */
  P ("reverse-dns", "requireptr", "reverse dns", PROVIDER),
  P ("ptr-record", "requireptr", "ptr record", PROVIDER),
  P ("ptr-resource-record", "requireptr", "ptr resource record", PROVIDER),
  P ("no-ptr", "requireptr", "no ptr", PROVIDER),
  P ("rdns", "requireptr", "rdns", PROVIDER, WORD),
  P ("ip-name-lookup-failed", "requireptr", "ip name lookup failed", PROVIDER),
  P ("cannot-find-your-hostname", "requireptr", "cannot find your hostname", PROVIDER),
  P ("client-name-lookup", "requireptr", "client host name lookup failed", PROVIDER),
  P ("unverifiable-sending-ip", "requireptr", "unverifyable sending ip", PROVIDER),
  P ("mismatches-client-ip", "requireptr", "mismatches client ip", PROVIDER),
  P ("cox-aup-cxdns", "requireptr", "aup#cxdns", PROVIDER),
  P ("reverse-lookup", "requireptr", "reverse lookup", PROVIDER),
  P ("reverse-mapping", "requireptr", "reverse mapping", PROVIDER),
  P ("reverse-address", "requireptr", "reverse address", PROVIDER),
  P ("cannot-resolve-your", "requireptr", "cannot resolve your", PROVIDER),
  P ("reverse-hostname", "requireptr", "reverse hostname", PROVIDER),

  /* ---- authfailure: SPF, DKIM, DMARC, ARC ------------------------------- */
  P ("dmarc-policy", "authfailure", "dmarc policy", PROVIDER),
  P ("dmarc-verification", "authfailure", "dmarc verification", PROVIDER),
  P ("dmarc-check-failed", "authfailure", "dmarc check failed", PROVIDER),
  P ("dmarc-fail", "authfailure", "dmarc fail", PROVIDER),
  P ("dmarc", "authfailure", "dmarc", HIGH, WORD),
  P ("spf-hard-fail", "authfailure", "spf record with a", PROVIDER),
  P ("spf-check-failed", "authfailure", "spf check", PROVIDER),
  P ("spf-validation", "authfailure", "spf validation", PROVIDER),
  P ("spf-fail", "authfailure", "spf fail", PROVIDER),
  P ("fails-spf", "authfailure", "fails to pass spf", PROVIDER),
  P ("bad-spf", "authfailure", "bad spf", PROVIDER),
  P ("spf", "authfailure", "spf", WORD),
  P ("dkim-signature", "authfailure", "dkim signature", HIGH),
  P ("dkim-fail", "authfailure", "dkim fail", PROVIDER),
  P ("dkim", "authfailure", "dkim", WORD),
  P ("authentication-checks-failed", "authfailure", "authentication checks failed", PROVIDER),
  P ("fails-authentication-checks", "authfailure", "fails to pass authentication checks", PROVIDER),
  P ("unauthenticated-email", "authfailure", "unauthenticated email", PROVIDER),
  P ("authentication-level", "authfailure", "required authentication level", PROVIDER),
  P ("arc-validation", "authfailure", "arc validation", PROVIDER),
  P ("sender-policy-framework", "authfailure", "sender policy framework", PROVIDER),
  P ("does-not-designate", "authfailure", "does not designate", PROVIDER),
  P ("permitted-sender", "authfailure", "permitted sender", PROVIDER),
  P ("sender-is-unauthenticated", "authfailure", "sender is unauthenticated", PROVIDER),
  P ("not-aligned-with-authenticated", "authfailure", "aligned with either the authenticated", PROVIDER),
  P ("anti-spoofing", "authfailure", "anti-spoofing", PROVIDER),

  /* ---- norelaying ------------------------------------------------------- */
  P ("relay-access-denied", "norelaying", "relay access denied", PROVIDER),
  P ("relaying-denied", "norelaying", "relaying denied", PROVIDER),
  P ("relay-denied", "norelaying", "relay denied", PROVIDER),
  P ("relay-not-permitted", "norelaying", "relay not permitted", PROVIDER),
  P ("relaying-not-allowed", "norelaying", "relaying not allowed", PROVIDER),
  P ("not-configured-to-relay", "norelaying", "not configured to relay", PROVIDER),
  P ("unable-to-relay", "norelaying", "unable to relay", PROVIDER),
  P ("we-do-not-relay", "norelaying", "we do not relay", PROVIDER),
  P ("insecure-mail-relay", "norelaying", "insecure mail relay", PROVIDER),
  P ("relaying-prohibited", "norelaying", "relaying prohibited", PROVIDER),
  P ("relaying-disallowed", "norelaying", "relaying disallowed", PROVIDER),
  P ("attempted-relay", "norelaying", "attempted relay", PROVIDER),
  P ("ses-identity-not-verified", "norelaying", "email address is not verified", PROVIDER),
  P ("allowed-rcpthosts", "norelaying", "allowed rcpthosts", PROVIDER),
  P ("not-permitted-to-relay", "norelaying", "not permitted to relay", PROVIDER),
  P ("not-allowed-to-relay", "norelaying", "not allowed to relay", PROVIDER),
  P ("not-an-open-relay", "norelaying", "not an open relay", PROVIDER),
  P ("we-dont-handle-mail-for", "norelaying", "we don't handle mail for", PROVIDER),

  /* ---- securityerror / failedstarttls ------------------------------------ */
  P ("must-issue-starttls", "securityerror", "must issue a starttls command", PROVIDER),
  P ("starttls-required", "securityerror", "starttls is required", PROVIDER),
  P ("tls-required", "securityerror", "tls required", PROVIDER),
  P ("encryption-required", "securityerror", "encryption required", PROVIDER),
  P ("authentication-required", "securityerror", "authentication required", HIGH),
  P ("smtp-authentication", "securityerror", "smtp authentication", HIGH),
  P ("not-authenticated", "securityerror", "not authenticated", HIGH),
  P ("authentication-failed", "securityerror", "authentication failed", HIGH),
  P ("authentication-credentials-invalid", "securityerror", "authentication credentials invalid", HIGH),
  P ("mechanism-too-weak", "securityerror", "mechanism is too weak", HIGH),
  P ("certificate", "securityerror", "certificate", WEAK),
  P ("delivery-not-authorized", "securityerror", "delivery not authorized"),
  P ("unauthenticated-senders", "securityerror", "unauthenticated senders", HIGH),
  P ("authentication-failure", "securityerror", "authentication failure", HIGH),
  P ("you-dont-authenticate", "securityerror", "you don't authenticate", HIGH),
  P ("starttls-failed", "failedstarttls", "starttls failed", PROVIDER),
  P ("tls-handshake", "failedstarttls", "tls handshake", PROVIDER),
  P ("ssl-handshake", "failedstarttls", "ssl handshake", PROVIDER),
  P ("tls-negotiation-failed", "failedstarttls", "tls negotiation failed", PROVIDER),

  /* ---- speeding / toomanyconn ------------------------------------------- */
  P ("rate-limit", "speeding", "rate limit", HIGH),
  P ("rate-limited", "speeding", "rate limited", HIGH),
  P ("too-many-messages", "speeding", "too many messages", HIGH),
  P ("too-many-emails", "speeding", "too many emails", HIGH),
  P ("receiving-mail-too-quickly", "speeding", "receiving mail too quickly", PROVIDER),
  P ("receiving-mail-at-a-rate", "speeding", "receiving mail at a rate", PROVIDER),
  P ("mail-flood", "speeding", "mail flood", PROVIDER),
  P ("daily-limit", "speeding", "daily limit", HIGH),
  P ("submission-quota", "speeding", "submission quota", PROVIDER),
  P ("exchange-submission-quota", "speeding", "submissionquotaexceeded", PROVIDER),
  P ("daily-message-quota", "speeding", "daily message quota", PROVIDER),
  P ("maximum-sending-rate", "speeding", "maximum sending rate", PROVIDER),
  P ("try-again-slower", "speeding", "try again slower", PROVIDER),
  P ("sending-quota", "speeding", "sending quota", PROVIDER),
  P ("throttled", "speeding", "throttl", HIGH),
  P ("message-receive-limit", "speeding", "message receive limit", PROVIDER),
  P ("cox-aup-mxrt", "speeding", "aup#cxmxrt", PROVIDER),
  P ("comcast-rl-codes", "speeding", "#rl00", PROVIDER),
  P ("too-many-connections", "toomanyconn", "too many connections", PROVIDER),
  P ("connection-rate-limit", "toomanyconn", "connection rate limit", PROVIDER),
  P ("connection-limit", "toomanyconn", "connection limit", PROVIDER),
  P ("too-many-concurrent", "toomanyconn", "too many concurrent", PROVIDER),
  P ("too-many-simultaneous", "toomanyconn", "too many simultaneous", PROVIDER),
  P ("too-many-sessions", "toomanyconn", "too many sessions", PROVIDER),
  P ("frequency-limited", "toomanyconn", "frequency limited", PROVIDER),
  P ("trop-de-connexions", "toomanyconn", "trop de connexions", PROVIDER),
  P ("concurrent-connections", "toomanyconn", "concurrent connections", PROVIDER),
  P ("concurrent-server-connections", "toomanyconn", "concurrent server connections", PROVIDER),
  P ("max-messages-per-connection", "toomanyconn", "max message per connection", PROVIDER),
  P ("too-many-recipients", "toomanyconn", "too many recipients", HIGH),
  P ("cox-aup-cxcnct", "toomanyconn", "aup#cxcnct", PROVIDER),
  P ("spectrum-aup-13", "toomanyconn", "aup#in-13", PROVIDER),

  /* ---- spamdetected / virusdetected -------------------------------------- */
  P ("spam-detected", "spamdetected", "spam detected", HIGH),
  P ("scored-as-spam", "spamdetected", "scored as spam", HIGH),
  P ("classified-as-spam", "spamdetected", "classified as spam", HIGH),
  P ("considered-spam", "spamdetected", "considered spam", HIGH),
  P ("detected-as-spam", "spamdetected", "detected as spam", HIGH),
  P ("identified-as-spam", "spamdetected", "identified as spam", HIGH),
  P ("flagged-as-spam", "spamdetected", "flagged as spam", HIGH),
  P ("spam-classification", "spamdetected", "spam classification", HIGH),
  P ("suspicion-of-spam", "spamdetected", "suspicion of spam", HIGH),
  P ("as-spam", "spamdetected", "as spam", HIGH),
  P ("spam-content", "spamdetected", "spam content", HIGH),
  P ("spamassassin", "spamdetected", "spamassassin", HIGH),
  P ("bulk-email", "spamdetected", "bulk e-mail", HIGH),
  P ("bulk-email-2", "spamdetected", "bulk email", HIGH),
  P ("content-filter", "spamdetected", "content filter"),
  P ("phishing", "spamdetected", "phishing", HIGH),
  P ("mail-content-denied", "spamdetected", "mail content denied", HIGH),
  P ("google-unsolicited-message", "spamdetected", "unsolicitedmessageerror", PROVIDER),
  P ("message-content-rejected", "spamdetected", "message content rejected", HIGH),
  P ("content-rejected-ube", "spamdetected", "ube", HIGH, WORD),
  P ("unsolicited", "spamdetected", "unsolicited"),
  P ("blacklisted-url", "spamdetected", "blacklisted url", PROVIDER),
  P ("uribl", "spamdetected", "uribl", PROVIDER),
  P ("surbl", "spamdetected", "surbl", PROVIDER),
  P ("mimecast-spam-signature", "spamdetected", "mcspamsignature", PROVIDER),
  P ("orange-mail-rejete", "spamdetected", "mail rejete", PROVIDER),
  P ("likely-unsolicited", "spamdetected", "likely unsolicited mail", PROVIDER),
  P ("spam", "spamdetected", "spam", WORD),
  P ("virus", "virusdetected", "virus"),
  P ("virus-detected", "virusdetected", "virus detected", PROVIDER),
  P ("virus-found", "virusdetected", "virus found", PROVIDER),
  P ("contains-a-virus", "virusdetected", "contains a virus", PROVIDER),
  P ("infected", "virusdetected", "infected", HIGH),
  P ("malware", "virusdetected", "malware", HIGH),
  P ("trojan", "virusdetected", "trojan", HIGH, WORD),

  /* ---- contenterror / notcompliantrfc ------------------------------------ */
  P ("media-error", "contenterror", "media error"),
  P ("invalid-mime", "contenterror", "invalid mime"),
  P ("mime-error", "contenterror", "mime error"),
  P ("headers-too-large", "contenterror", "headers too large", HIGH),
  P ("header-too-long", "contenterror", "header too long", HIGH),
  P ("attachment-not-allowed", "contenterror", "attachment not allowed"),
  P ("media-not-supported", "contenterror", "media not supported"),
  P ("improperly-formatted", "contenterror", "improperly-formatted", HIGH),
  P ("improper-pipelining", "syntaxerror", "improper use of smtp command pipelining", HIGH),
  P ("mime-complexity", "contenterror", "mime complexity", HIGH),
  P ("unnecessary-base64", "contenterror", "unnecessary base64", HIGH),
  P ("not-rfc-compliant", "notcompliantrfc", "rfc 5322", PROVIDER),
  P ("not-rfc5322-compliant", "notcompliantrfc", "rfc5322", PROVIDER),
  P ("rfc-2822", "notcompliantrfc", "rfc 2822", PROVIDER),
  P ("rfc-822", "notcompliantrfc", "rfc 822", PROVIDER),
  P ("rfc-message-non-compliant", "notcompliantrfc", "rfcmessagenoncompliant", PROVIDER),
  P ("multiple-addresses-in-from", "notcompliantrfc", "multiple addresses in from", PROVIDER),
  P ("duplicate-header", "notcompliantrfc", "duplicate header", PROVIDER),
  P ("multiple-headers", "notcompliantrfc", "there are multiple", PROVIDER),
  P ("valid-address-in-from", "notcompliantrfc", "valid address in from: header", PROVIDER),
  P ("valid-message-id-header", "notcompliantrfc", "valid message-id header", PROVIDER),

  /* ---- policyviolation ---------------------------------------------------- */
  P ("policy-violation", "policyviolation", "policy violation", HIGH),
  P ("policy-reasons", "policyviolation", "policy reasons", HIGH),
  P ("denied-by-policy", "policyviolation", "denied by policy", HIGH),
  P ("local-policy", "policyviolation", "local policy", HIGH),
  P ("protocol-violation", "policyviolation", "protocol violation", HIGH),
  P ("due-to-policy", "policyviolation", "due to policy", HIGH),
  P ("security-policies", "policyviolation", "due to security policies", HIGH),
  P ("potential-security-issue", "policyviolation", "content presents a potential", PROVIDER),
  P ("orange-630", "policyviolation", "lpn000_630", PROVIDER),
  P ("illegal-attachment", "policyviolation", "illegal attachment", HIGH),
  P ("not-accepting-mail-with", "policyviolation", "not accepting mail with", PROVIDER),
  P ("mass-mailer", "policyviolation", "mass mailer", HIGH),
  P ("content-restrictions", "policyviolation", "content restrictions", HIGH),
  P ("policy-restrictions", "policyviolation", "policy restrictions", HIGH),
  P ("policy-rejection", "policyviolation", "policy rejection", HIGH),
  P ("administrative-prohibition", "policyviolation", "administrative prohibition", WEAK),
  P ("policy", "policyviolation", "policy", WEAK),

  /* ---- syntaxerror -------------------------------------------------------- */
  P ("syntax-error", "syntaxerror", "syntax error"),
  P ("improper-sequence", "syntaxerror", "improper sequence of commands", HIGH),
  P ("bad-sequence", "syntaxerror", "bad sequence of commands", HIGH),
  P ("command-unrecognized", "syntaxerror", "command unrecognized"),
  P ("unrecognized-command", "syntaxerror", "unrecognized command"),
  P ("command-not-recognized", "syntaxerror", "command not recognized"),
  P ("command-not-implemented", "syntaxerror", "command not implemented"),

  /* ---- systemerror / systemfull ------------------------------------------- */
  P ("internal-error", "systemerror", "internal error"),
  P ("internal-system-error", "systemerror", "internal system error"),
  P ("system-error", "systemerror", "system error"),
  P ("local-error-in-processing", "systemerror", "local error in processing"),
  P ("queue-file-write-error", "systemerror", "queue file write error"),
  P ("service-currently-unavailable", "systemerror", "service currently unavailable"),
  P ("service-refused-try-later", "systemerror", "service refused, please try later", PROVIDER),
  P ("transaction-failed", "systemerror", "transaction failed", WEAK),
  P ("unable-to-contact-ldap", "systemerror", "ldap server"),
  P ("configuration-error", "systemerror", "configuration error"),
  P ("incorrectly-configured", "systemerror", "incorrectly configured"),
  P ("after-multiple-retries", "systemerror", "unable to deliver message after multiple retries"),
  P ("mail-loop", "systemerror", "mail loop"),
  /* Mailing list managers (fml) refuse a Message-ID they have already
   * seen: the guard against a mail loop. */
  P ("duplicated-message-id", "systemerror", "duplicated message-id"),
  P ("forwarding-loop", "systemerror", "forwarding loop"),
  P ("interrupted-system-call", "systemerror", "interrupted system call"),
  P ("internal-resource-unavailable", "systemerror", "internal resource temporarily unavailable"),
  P ("server-error", "systemerror", "server error"),
  P ("local-problem", "systemerror", "local problem"),
  P ("insufficient-system-storage", "systemfull", "insufficient system storage", HIGH),
  P ("mail-system-full", "systemfull", "mail system full", HIGH),
  P ("no-space-left", "systemfull", "no space left on device", HIGH),
  P ("disk-full", "systemfull", "disk full", HIGH),
  P ("disk-quota-exceeded", "mailboxfull", "disk quota exceeded", PROVIDER),

  /* ---- networkerror ------------------------------------------------------- */
  P ("connection-refused", "networkerror", "connection refused"),
  P ("connection-reset", "networkerror", "connection reset"),
  P ("network-error", "networkerror", "network error"),
  P ("no-route-to-host", "networkerror", "no route to host"),
  P ("lost-connection", "networkerror", "lost connection"),
  P ("host-not-found-try-again", "networkerror", "host not found, try again", HIGH),
  P ("temporary-dns-failure", "networkerror", "temporary failure in name resolution", HIGH),
  P ("dns-error", "networkerror", "dns error", WEAK),
  P ("too-many-hops", "networkerror", "too many hops"),
  P ("hop-count-exceeded", "networkerror", "hop count exceeded"),
  P ("routing-loop", "networkerror", "routing loop"),
  P ("host-is-unreachable", "networkerror", "host is unreachable"),
  P ("network-is-unreachable", "networkerror", "network is unreachable"),
  P ("host-name-lookup-failure", "networkerror", "host name lookup failure"),
  P ("unable-to-resolve-route", "networkerror", "unable to resolve route"),
  P ("connection-died", "networkerror", "connection died"),

  /* ---- expired ----------------------------------------------------------- */
  P ("retry-timeout-exceeded", "expired", "retry timeout exceeded", LOW),
  P ("delivery-time-expired", "expired", "delivery time expired", LOW),
  P ("message-expired", "expired", "message expired", LOW),
  P ("envelope-expired", "expired", "envelope expired", LOW),
  P ("queue-too-long", "expired", "in the queue too long", LOW),
  P ("could-not-deliver-for-the-last", "expired", "could not deliver for the last", LOW),
  P ("failing-for-a-long-time", "expired", "failing for a long time", LOW),
  P ("not-delivered-within", "expired", "not delivered within", LOW),
  P ("delivery-failed-attempts", "expired", "delivery failed * attempts", LOW),
  P ("unable-to-deliver-in", "expired", "unable to deliver in", LOW),
  P ("did-not-accept-requests-to-connect", "expired", "did not accept our requests to connect"),
  P ("connection-timed-out", "expired", "connection timed out"),
  P ("operation-timed-out", "expired", "operation timed out"),
  P ("timed-out", "expired", "timed out", WEAK),
  P ("host-not-reachable", "expired", "host not reachable"),
  P ("could-not-establish-connection", "expired", "wasn't able to establish an smtp connection"),
  P ("giving-up-on", "expired", "giving up on", WEAK),
  P ("retry-time-not-reached", "expired", "retry time not reached", LOW),
  P ("message-timed-out", "expired", "message timed out", LOW),
  P ("delivery-expired", "expired", "delivery expired", LOW),
  P ("cannot-send-message-for", "expired", "cannot send message for", LOW),
  P ("could-not-send-message-for", "expired", "could not send message for", LOW),
  P ("could-not-be-delivered-for", "expired", "could not be delivered for", LOW),

  /* ---- mailererror -------------------------------------------------------- */
  P ("pipe-to", "mailererror", "pipe to |", HIGH),
  P ("procmail", "mailererror", "procmail", HIGH),
  P ("loops-back-to-myself", "mailererror", "loops back to myself", HIGH),
  P ("command-died", "mailererror", "command died with status", HIGH),
  P ("mailer-error", "mailererror", "unknown mailer error", HIGH),

  /* ---- suppressed: the sending service's own list ------------------------- */
  P ("suppression-list", "suppressed", "suppression list", PROVIDER),
  P ("ses-suppressed", "suppressed", "has suppressed sending to this address", PROVIDER),
  P ("previously-bounced", "suppressed", "previously bounced address", PROVIDER),
  P ("marked-as-inactive", "suppressed", "has been marked as inactive", PROVIDER),
  P ("sendgrid-bounced-address", "suppressed", "bounced address", PROVIDER),
  P ("unsubscribed-address", "suppressed", "unsubscribed address", PROVIDER),
  P ("spam-reporting-address", "suppressed", "spam reporting address", PROVIDER),
  P ("marked-messages-as-spam", "suppressed", "marked your messages as spam", PROVIDER),
};

const guint classify_n_phrase_rules = G_N_ELEMENTS (classify_phrase_rules);

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

/* RFC 3463 section 3 and the IANA registry; provider families below. */
const ClassifyCodeRule classify_code_rules[] = {
  /* X.1: addressing */
  { "5.1.1", "userunknown" },          /* bad destination mailbox address */
  { "4.1.1", "userunknown" },
  { "x.1.2", "hostunknown" },          /* bad destination system address */
  { "x.1.3", "userunknown" },          /* bad destination mailbox address syntax */
  { "x.1.6", "hasmoved" },             /* mailbox has moved */
  { "x.1.7", "rejected" },             /* bad sender's mailbox address syntax */
  { "x.1.8", "rejected" },             /* bad sender's system address */
  { "x.1.9", "systemerror" },          /* relayed to non-compliant mailer */
  { "x.1.10", "notaccept" },           /* RFC 7505: recipient has null MX */
  { "x.1.351", "userunknown" },        /* Exchange: unknown recipient downstream */
  { "5.1.90", "speeding" },            /* Exchange: sender's daily limit */
  /* X.2: mailbox */
  { "x.2.0", "filtered" },             /* other mailbox status */
  { "x.2.1", "suspend" },              /* mailbox disabled */
  { "x.2.2", "mailboxfull" },          /* mailbox full */
  { "x.2.3", "exceedlimit" },          /* message length exceeds administrative limit */
  { "x.2.4", "systemerror" },          /* mailing list expansion problem */
  { "x.2.121-122", "speeding" },       /* Exchange: per-hour receive limits */
  /* X.3: mail system */
  { "x.3.1", "systemfull" },           /* mail system full */
  { "x.3.2", "notaccept" },            /* system not accepting network messages */
  { "x.3.3", "systemerror" },          /* not capable of selected features */
  { "x.3.4", "mesgtoobig" },           /* message too big for system */
  { "x.3.5", "systemerror" },          /* system incorrectly configured */
  /* X.4: network and routing */
  { "x.4.0", "networkerror" },         /* other network status */
  { "4.4.1", "expired" },              /* no answer from host, retried out */
  { "5.4.1", "networkerror" },
  { "x.4.2", "networkerror" },         /* bad connection */
  { "x.4.3", "systemerror" },          /* directory server failure */
  { "4.4.4", "networkerror" },         /* unable to route */
  { "5.4.4", "hostunknown" },
  { "x.4.5", "networkerror" },         /* mail system congestion */
  { "x.4.6", "networkerror" },         /* routing loop detected */
  { "x.4.7", "expired" },              /* delivery time expired */
  { "x.4.14", "networkerror" },        /* Exchange: hop count exceeded */
  { "x.4.300-399", "expired" },        /* Exchange: message expired, with cause */
  { "5.4.310-311", "hostunknown" },    /* Exchange: DNS domain does not exist */
  /* X.5: protocol */
  { "x.5.0", "syntaxerror" },
  { "x.5.1", "syntaxerror" },          /* invalid command */
  { "x.5.2", "syntaxerror" },          /* syntax error */
  { "x.5.3", "toomanyconn" },          /* too many recipients */
  { "x.5.4", "syntaxerror" },          /* invalid command arguments */
  { "x.5.5", "syntaxerror" },          /* wrong protocol version */
  { "x.5.6", "syntaxerror" },          /* RFC 4954: authentication line too long */
  /* X.6: content */
  { "x.6.x", "contenterror" },         /* media, conversion, RFC 6531 UTF-8 */
  { "x.6.211", "contenterror" },       /* Exchange: invalid MIME content */
  /* X.7: security and policy */
  { "x.7.0", "securityerror" },
  { "x.7.1", "securityerror" },        /* delivery not authorized */
  { "x.7.2", "rejected" },             /* mailing list expansion prohibited */
  { "x.7.3", "securityerror" },
  { "x.7.4", "securityerror" },
  { "x.7.5", "failedstarttls" },       /* cryptographic failure */
  { "x.7.6", "securityerror" },
  { "x.7.7", "securityerror" },        /* message integrity failure */
  { "x.7.8", "securityerror" },        /* RFC 4954: credentials invalid */
  { "x.7.9", "securityerror" },        /* mechanism too weak */
  { "x.7.10", "securityerror" },       /* encryption needed */
  { "x.7.11", "securityerror" },       /* encryption required for mechanism */
  { "x.7.12", "securityerror" },       /* password transition needed */
  { "x.7.13", "suspend" },             /* user account disabled */
  { "x.7.14", "securityerror" },       /* trust relationship required */
  { "x.7.15", "policyviolation" },     /* RFC 6710: priority level too low */
  { "x.7.16", "mesgtoobig" },          /* RFC 6710: too big for the priority */
  { "x.7.17", "userunknown" },         /* RFC 7293: mailbox owner has changed */
  { "x.7.18", "hostunknown" },         /* RFC 7293: domain owner has changed */
  { "x.7.19", "systemerror" },         /* RFC 7293: RRVS test cannot be completed */
  { "x.7.20-22", "authfailure" },      /* RFC 7372: DKIM */
  { "x.7.23-24", "authfailure" },      /* RFC 7372: SPF */
  { "x.7.25", "requireptr" },          /* RFC 7372: reverse DNS validation failed */
  { "x.7.26", "authfailure" },         /* RFC 7372: multiple checks failed */
  { "x.7.27", "rejected" },            /* RFC 7505: sender address has null MX */
  { "x.7.28", "speeding" },            /* mail flood detected */
  { "x.7.29", "authfailure" },         /* RFC 8617: ARC validation failure */
  { "x.7.30", "securityerror" },       /* RFC 8689: REQUIRETLS support required */
  { "x.7.57", "securityerror" },       /* Exchange: client not authenticated */
  { "x.7.64", "norelaying" },          /* Exchange: tenant attribution, relay denied */
  { "x.7.124", "rejected" },           /* Exchange: sender not in allowed senders */
  { "x.7.133-136", "rejected" },       /* Exchange: group accepts only authenticated senders */
  { "x.7.500-508", "blocked" },        /* Outlook.com: access denied families */
  { "x.7.504", "userunknown" },        /* Exchange: recipient address rejected */
  { "x.7.509", "authfailure" },        /* Outlook.com: DMARC reject */
  { "x.7.510-511", "blocked" },        /* Outlook.com: banned sender, IPv6 */
  { "x.7.512", "notcompliantrfc" },    /* Outlook.com: RFC 5322 3.6.2 */
  { "x.7.515", "authfailure" },        /* Outlook.com: sender authentication level */
  { "x.7.606-649", "blocked" },        /* Outlook.com: banned sending IP */
  { "x.7.650-699", "badreputation" },  /* Outlook.com: IP reputation limits */
  { "x.7.700-750", "blocked" },        /* Exchange Online: tenant sending blocked */
};

const guint classify_n_code_rules = G_N_ELEMENTS (classify_code_rules);

/* RFC 5321 section 4.2.3, RFC 4954 (530/534/535/538), RFC 7504 (521/556). */
const ClassifyReplyRule classify_reply_rules[] = {
  { "452", "systemfull" },     /* insufficient system storage */
  { "500", "syntaxerror" }, { "501", "syntaxerror" }, { "502", "syntaxerror" },
  { "503", "syntaxerror" }, { "504", "syntaxerror" },
  { "521", "notaccept" },      /* host does not accept mail */
  { "530", "securityerror" }, { "534", "securityerror" }, { "535", "securityerror" },
  { "538", "securityerror" },
  { "551", "hasmoved" },       /* user not local; please try */
  { "552", "mailboxfull" },    /* exceeded storage allocation */
  { "556", "notaccept" },      /* domain does not accept mail */
};

const guint classify_n_reply_rules = G_N_ELEMENTS (classify_reply_rules);

/* The command a reply answers says whose address the text is about. */
const ClassifyRefinement classify_refinements[] = {
  /* RFC 5321 3.3: an address refused in reply to MAIL FROM is the sender's. */
  { .name = "mail-from", .from = "userunknown", .to = "rejected", .command = CLASSIFY_COMMAND_MAIL },
  { .name = "mail-from", .from = "hostunknown", .to = "rejected", .command = CLASSIFY_COMMAND_MAIL },
  /* At the greeting or HELO no address has been given: it is the client. */
  { .name = "connect", .from = "userunknown", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "connect", .from = "hostunknown", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "connect", .from = "rejected", .to = "blocked", .command = CLASSIFY_COMMAND_CONNECT },
  { .name = "helo", .from = "userunknown", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  { .name = "helo", .from = "hostunknown", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  { .name = "helo", .from = "rejected", .to = "blocked", .command = CLASSIFY_COMMAND_HELO },
  /* "Unknown user" after DATA: RCPT accepted the address, so a filter
   * refused the message (a practice of Japanese mobile carriers). */
  { .name = "after-data", .from = "userunknown", .to = "filtered", .command = CLASSIFY_COMMAND_DATA },
  /* "Unknown user", in this word order and answering no named command, is
   * how NTT docomo and the filtering gateways in front of Japanese mail
   * systems refuse a message after DATA; without a mailbox-address code
   * (x.1.x) it is not taken as proof that the address is dead. */
  { .name = "carrier-filter", .rule = "unknown-user", .from = "userunknown", .to = "filtered",
    .no_command = TRUE, .status_not = "x.1.x" },
  /* A policy code (x.7.x) with "user unknown" wording and no command
   * named: the code says the refusal is a policy's, the wording is the
   * filter's answer; not firm enough to call the address dead. */
  { .name = "policy-code", .rule = "user-unknown", .from = "userunknown", .to = "filtered",
    .status = "x.7.x", .no_command = TRUE },
  { .name = "policy-code", .rule = "mailbox-unavailable", .from = "userunknown", .to = "filtered",
    .status = "x.7.x", .no_command = TRUE },
  { .name = "policy-code", .rule = "invalid-address", .from = "userunknown", .to = "filtered",
    .status = "x.7.x", .no_command = TRUE },
  /* RFC 5321 4.2.2 suggests "mailbox unavailable" for any 550 ("mailbox
   * not found, no access, or command rejected for policy reasons"): alone,
   * without a mailbox-address code (x.1.x) or RCPT TO, it does not show
   * the address is dead. */
  { .name = "generic-text", .rule = "mailbox-unavailable", .from = "userunknown", .to = "filtered",
    .status_not = "x.1.x", .no_command = TRUE },
  /* The wording of a failed lookup ("recipient not found", "user not
   * exist") with neither a mailbox-address code (x.1.x) nor RCPT TO named:
   * a filtering gateway or relay that checks its own copy of the directory
   * says this after taking the message, and nothing shows that the mailbox
   * host refused the address.  Not firm enough to call it dead (REASONS:
   * userunknown is 5.1.x, or a refusal at RCPT TO). */
  { .name = "lookup-unconfirmed", .from = "userunknown", .to = "filtered", .lookup = TRUE,
    .status_not = "x.1.x", .no_command = TRUE },
  /* A mailbox-status code (RFC 3463 x.2.x: the mailbox exists, in some
   * state) with "user unknown" wording and no command named: the code and
   * the text disagree, and nothing shows the address was refused at RCPT
   * TO; the refusal is the receiving filter's, not proof of a dead
   * address. */
  { .name = "mailbox-status-code", .from = "userunknown", .to = "filtered", .status = "x.2.x",
    .no_command = TRUE },
  /* A DNS failure reported under a transient class (4.x.x, RFC 3463 2):
   * the lookup failed this time, the domain is not shown not to exist. */
  { .name = "transient-dns", .from = "hostunknown", .to = "networkerror", .status = "4.x.x" },
  /* x.4.7 says the queue lifetime ran out: a refused or reset connection
   * was why each attempt failed, the expiry is why the message did. */
  { .name = "queue-expired", .from = "networkerror", .to = "expired", .status = "x.4.7" },
  /* A size limit named by x.2.3 is the recipient mailbox's, not the system's. */
  { .name = "mailbox-limit", .from = "mesgtoobig", .to = "exceedlimit", .status = "x.2.3" },
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
