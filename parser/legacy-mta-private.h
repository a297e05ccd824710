/* legacy-mta-private.h - the recognisers of MTA software notices
 *
 * legacy-mta.c holds their table; legacy-mta-unix.c the notices of the
 * free Unix MTAs, legacy-mta-gateway.c those of commercial servers, mail
 * filters, gateways and carriers.
 */
#pragma once

#include "legacy-private.h"

G_BEGIN_DECLS

/* legacy-mta-unix.c */
gboolean legacy_postfix_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_sendmail_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_v5sendmail_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_exim_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_qmail_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_courier_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_opensmtpd_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_dragonfly_recognise (BounceReport *report, const BounceView *view);

/* legacy-mta-gateway.c */
gboolean legacy_forwarded_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_domino_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_notes_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_messagingserver_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_imail_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_mfilter_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_fml_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_mailfoundry_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_mailmarshal_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_activehunter_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_amavis_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_barracuda_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_mcafee_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_trendmicro_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_surfcontrol_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_mxlogic_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_bigfoot_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_verizon_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_ezweb_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_kddi_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_googlegroups_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_x1_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_x3_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_x6_recognise (BounceReport *report, const BounceView *view);

/* Shared by both files (legacy-mta.c). */

/* Whether the notice comes from a mailer daemon: legacy_is_daemon_notice(),
 * or a null Return-Path, or Auto-Submitted: auto-generated.  Recognisers
 * keyed on body phrases alone require it, so that a person pasting a
 * bounce into ordinary mail is not taken for one. */
gboolean legacy_mta_from_daemon (const BounceView *view);

/* The first of @markers found in @view's body (anywhere), or NULL. */
const char *legacy_mta_find_any (const BounceView *view, const char *const *markers,
                                 gsize n_markers);

/* The first of @markers found at a line start of @view's body, or NULL. */
const char *legacy_mta_line_any (const BounceView *view, const char *const *markers,
                                 gsize n_markers);

/* Where the notice's own text ends inside [@from, body end): the earliest of
 * @markers at a line start, else the end of the body. */
const char *legacy_mta_region_end (const BounceView *view, const char *from,
                                   const char *const *markers, gsize n_markers);

/* Finishes a recogniser that knew its format: when it found no recipient
 * and the returned part is itself a notice (a bounce about a bounce, or one
 * forwarded as an attachment), reads that one; when its recipients have no
 * code and the returned part is a notice about them, takes the codes from
 * there.  Returns TRUE if a
 * recipient was found or the notice comes from a mailer daemon. */
gboolean legacy_mta_finish (BounceReport *report, const BounceView *view);

/* The host after "host " in @text (Exim, Postfix: "host mx.example.org[...]"),
 * set as @rcpt's remote MTA. */
void legacy_mta_remote_after (BounceReport *report, BounceRecipient *rcpt,
                              const char *text, const char *cue);

G_END_DECLS
