/* legacy-provider.c - plain-text notices of mailbox providers and sending
 * services (Microsoft, Google, Yahoo, Amazon SES, Yandex, mail.ru, GMX, ...) */
#include "legacy-private.h"

const LegacyEntry legacy_provider_table[] = {
  { NULL, NULL },
};
