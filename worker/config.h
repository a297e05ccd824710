/* config.h - configuration of the worker commands (ingest, watch)
 *
 * Three sources, each overriding the one before: the configuration file
 * (GKeyFile, group [bounced]), the environment, the command line.  The parser
 * library never reads any of it (STYLE.md 1): this module turns it into
 * BounceSettings, MaildirSettings and the rest.
 */
#pragma once

#include <glib.h>
#include "bounce.h"

G_BEGIN_DECLS

#define CONFIG_ERROR (config_error_quark ())

typedef enum {
  CONFIG_ERROR_INVALID,   /* a bad file, key or value: the message names it */
} ConfigError;

GQuark config_error_quark (void);

/* The group of the configuration file. */
#define CONFIG_GROUP "bounced"
/* Messages per database transaction. */
#define CONFIG_DEFAULT_BATCH_SIZE 1000
#define CONFIG_MAX_BATCH_SIZE 100000
/* Seconds `bounced ingest` waits for an unavailable database before it gives
 * up with status 1 (watch waits forever). */
#define CONFIG_DEFAULT_MAX_WAIT 60
/* Seconds between the full rescans of watch mode, in case an inotify event
 * was lost (queue overflow, a Maildir on NFS). */
#define CONFIG_DEFAULT_RESCAN_INTERVAL 10
/* Suppression policy defaults (REASONS.md, "Suppression policy"): soft
 * outcomes from this many distinct messages spanning more than this many
 * days suppress an address. */
#define CONFIG_DEFAULT_SOFT_BOUNCE_COUNT 3
#define CONFIG_DEFAULT_SOFT_BOUNCE_DAYS 14
/* Seconds a file that could not be read (EACCES, EIO) is left before it is
 * tried again (ingest.c, invariant 6). */
#define CONFIG_DEFAULT_RETRY_UNREADABLE 60
/* The report's limits, in percent of sends (bounced(1), REPORT
 * THRESHOLDS): the hard bounce threshold, and the complaint limit of
 * Google's and Yahoo's bulk-sender guidance. */
#define CONFIG_DEFAULT_BOUNCE_THRESHOLD 2.0
#define CONFIG_DEFAULT_COMPLAINT_THRESHOLD 0.3

/**
 * Config:
 * Every setting of `bounced ingest` and `bounced watch`.  Strings are owned;
 * NULL means "not set" (the default applies).
 * @file: the configuration file that was read, or NULL.
 * @db: connection string or URI.
 * @db_origin: where @db came from: "configuration file \"PATH\"",
 *   "$BOUNCED_DB", "$DATABASE_URL", "--db" (see config_set_db()).
 * @rules_files: (element-type filename): local rules files, in order.
 * @rules_dir: directory whose *.rules files are loaded after @rules_files.
 */
typedef struct {
  char *file;
  char *db;
  char *db_origin;        /* where db came from, for messages (or NULL) */
  char *done_folder;
  char *other_folder;
  char *failed_folder;
  guint batch_size;
  char *campaign_header;
  GPtrArray *rules_files;
  char *rules_dir;
  gsize max_message_size;
  guint max_mime_depth;
  guint max_mime_parts;
  guint max_recipients;
  gsize max_field_length;
  guint threads;          /* 0: one per core */
  guint max_wait;
  guint rescan_interval;
  /* Suppression policy and campaign correlation (bounced recompute,
   * reprocess, ingest): see bounced(1), "CONFIGURATION". */
  guint soft_bounce_count;
  guint soft_bounce_days;
  char *verp_pattern;
  char *metrics_file;     /* --metrics-file: OpenMetrics after each batch */
  guint retry_unreadable; /* seconds before an unreadable file is tried again */
  /* bounced report: the verdicts' limits, in percent of sends. */
  double bounce_threshold;
  double complaint_threshold;
} Config;

/* Returns: (transfer full) the defaults. */
Config *config_new (void);

/* The configuration file used when --config is not given: $BOUNCED_CONFIG,
 * else SYSCONFDIR/bounced/bounced.conf.  Returns: (transfer full). */
char *config_default_file (void);

/**
 * config_load_file:
 * @path: the file.
 * @must_exist: whether a missing file is an error (--config) or is silently
 *   skipped (the default file).
 *
 * Reads @path (GKeyFile syntax, group [bounced]) into @config.  Unknown keys
 * are errors, so that a typo does not silently fall back to a default.
 * Sets @rules_dir to "rules.d" beside the file.
 * Returns: TRUE, or FALSE with @error_out set (CONFIG_ERROR_INVALID, or
 *   G_FILE_ERROR / G_KEY_FILE_ERROR naming the file).
 */
gboolean config_load_file (Config *config, const char *path, gboolean must_exist,
                           GError **error_out);

/* Applies BOUNCED_DB, then DATABASE_URL if BOUNCED_DB is unset, over the
 * file's db (the libpq PG* variables are left to libpq). */
void config_apply_environment (Config *config);

/**
 * config_parse_settings:
 * Fills @settings (initialised by the caller) from @config and loads the
 * rules: @rules_files in order, then every *.rules file of @rules_dir in name
 * order.  @rules_out receives the rules (NULL when there are none); it must
 * outlive @settings.
 * Returns: TRUE, or FALSE with @error_out set (the rules loader's error).
 */
gboolean config_parse_settings (const Config *config, BounceSettings *settings,
                                BounceRules **rules_out, GError **error_out);

/* Sets @db (copied) from the command line (@origin "--db", borrowed). */
void config_set_db (Config *config, const char *db, const char *origin);

void config_free (Config *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Config, config_free)

G_END_DECLS
