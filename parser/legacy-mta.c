/* legacy-mta.c - plain-text notices of MTA software (Postfix, Sendmail,
 * Exim, qmail, Courier, OpenSMTPD, Lotus Domino, ...) */
#include "legacy-private.h"

const LegacyEntry legacy_mta_table[] = {
  { NULL, NULL },
};
