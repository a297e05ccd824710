/* verp.h - campaign correlation through a VERP-style return path
 *
 * A mailer that encodes the campaign (and a per-message id) in the envelope
 * sender, e.g. "bounces+{campaign}.{id}@example.com", gets its bounces sent
 * to that address (RFC 5321 section 4.5.5: the notification goes to the
 * reverse-path).  A Verp is such a pattern, compiled once and matched
 * against the addresses a bounce was delivered to.
 */
#pragma once

#include <glib.h>
#include "bounce.h"

G_BEGIN_DECLS

#define VERP_ERROR (verp_error_quark ())

typedef enum {
  VERP_ERROR_PATTERN,   /* the pattern is malformed: see the message */
} VerpError;

GQuark verp_error_quark (void);

/* Longest pattern and longest address considered (RFC 5321 section 4.5.3.1.3:
 * a path is at most 256 octets). */
#define VERP_MAX_PATTERN_LENGTH 256
#define VERP_MAX_ADDRESS_LENGTH 256

/* How many header lines of a message verp_find_in_headers() looks at before
 * giving up (a bounce's own header block is small; this bounds the work on
 * hostile input). */
#define VERP_MAX_HEADER_LINES 500

typedef struct _Verp Verp;

/**
 * verp_new:
 * @pattern: an address with placeholders: {campaign} (required, once) and
 *   {id} (optional, once); e.g. "bounces+{campaign}.{id}@example.com".
 *   Everything else is literal.  Placeholders match one or more characters
 *   other than "@"; when a literal separator could be read two ways, the
 *   earlier placeholder takes the longer part ("b+spring.sale.42@x" gives
 *   campaign "spring.sale" and id "42").  Matching ignores case, as mail
 *   systems do for the domain and almost all do for the local part.
 *
 *   g_autoptr(Verp) v = verp_new ("bounces+{campaign}.{id}@example.com", &e);
 *   g_autofree char *campaign = NULL;
 *   if (verp_match (v, "bounces+spring.42@example.com", &campaign, NULL)) ...
 *
 * Returns: (transfer full): the compiled pattern, or NULL with @error_out
 *   set (VERP_ERROR_PATTERN).
 */
Verp *verp_new (const char *pattern, GError **error_out);

/* The pattern as given (borrowed). */
const char *verp_get_pattern (const Verp *verp);

/**
 * verp_match:
 * @address: an address, bare or in angle brackets.
 * @campaign_out: (out) (optional) (transfer full): the campaign.
 * @id_out: (out) (optional) (transfer full) (nullable): the id, or NULL
 *   when the pattern has no {id}.
 *
 * Returns: whether @address matches; the outputs are untouched otherwise.
 */
gboolean verp_match (const Verp *verp, const char *address,
                     char **campaign_out, char **id_out);

/**
 * verp_find_in_headers:
 * @data: a raw message (the bounce as delivered).
 * @length: its size.
 *
 * Looks in the message's own header block (not in the returned message)
 * for the address the bounce was delivered to: Delivered-To, X-Original-To,
 * Envelope-To, Return-Path, To, in that order (the first three are set by
 * the delivering MTA and are the envelope recipient; To is the fallback
 * that almost every MTA fills with the reverse-path, RFC 3464 section 2).
 * Returns: whether one of them matches; outputs as for verp_match().
 */
gboolean verp_find_in_headers (const Verp *verp, const char *data, gsize length,
                               char **campaign_out, char **id_out);

/**
 * verp_apply:
 * @verp: (nullable): the pattern; NULL does nothing.
 * @report: the parse of @data.
 *
 * Gives @report the campaign of the address @data was delivered to, when
 * the returned message named none (the campaign header comes first: it is
 * what the mailer wrote; the return path is the fallback).  Returns:
 * whether the campaign was set.
 */
gboolean verp_apply (const Verp *verp, BounceReport *report, const char *data, gsize length);

void verp_free (Verp *verp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Verp, verp_free)

G_END_DECLS
