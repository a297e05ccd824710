/* config.c - the configuration file and environment of the worker
 *
 * The file is a GKeyFile with one group, [bounced], whose keys are the long
 * command-line options of `bounced ingest` and `bounced watch` (db,
 * done-folder, batch-size, ...).  Precedence, lowest first: built-in
 * defaults, the file, the environment (BOUNCED_DB, DATABASE_URL), the
 * command line, so that a service can keep its secrets out of the file and
 * a person at a terminal can override anything.
 */
#include "config.h"

#include "bounced-config.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (config-error-quark, config_error)

/* The largest value accepted for the numeric limits (they are guint). */
#define CONFIG_MAX_COUNT G_MAXUINT32

typedef enum { KEY_STRING, KEY_LIST, KEY_SIZE, KEY_COUNT, KEY_PERCENT } KeyType;

/* One row per key of the file. */
typedef struct {
  const char *name;
  KeyType type;
  gsize offset;
  guint64 min;
} ConfigKey;

static const ConfigKey config_keys[] = {
  { "db", KEY_STRING, G_STRUCT_OFFSET (Config, db), 0 },
  { "done-folder", KEY_STRING, G_STRUCT_OFFSET (Config, done_folder), 0 },
  { "other-folder", KEY_STRING, G_STRUCT_OFFSET (Config, other_folder), 0 },
  { "failed-folder", KEY_STRING, G_STRUCT_OFFSET (Config, failed_folder), 0 },
  { "campaign-header", KEY_STRING, G_STRUCT_OFFSET (Config, campaign_header), 0 },
  { "rules", KEY_LIST, G_STRUCT_OFFSET (Config, rules_files), 0 },
  { "batch-size", KEY_COUNT, G_STRUCT_OFFSET (Config, batch_size), 1 },
  { "max-message-size", KEY_SIZE, G_STRUCT_OFFSET (Config, max_message_size), 1 },
  { "max-mime-depth", KEY_COUNT, G_STRUCT_OFFSET (Config, max_mime_depth), 1 },
  { "max-mime-parts", KEY_COUNT, G_STRUCT_OFFSET (Config, max_mime_parts), 1 },
  { "max-recipients", KEY_COUNT, G_STRUCT_OFFSET (Config, max_recipients), 1 },
  { "max-field-length", KEY_SIZE, G_STRUCT_OFFSET (Config, max_field_length), 1 },
  { "threads", KEY_COUNT, G_STRUCT_OFFSET (Config, threads), 0 },
  { "max-wait", KEY_COUNT, G_STRUCT_OFFSET (Config, max_wait), 0 },
  { "rescan-interval", KEY_COUNT, G_STRUCT_OFFSET (Config, rescan_interval), 1 },
  { "soft-bounce-count", KEY_COUNT, G_STRUCT_OFFSET (Config, soft_bounce_count), 1 },
  { "soft-bounce-days", KEY_COUNT, G_STRUCT_OFFSET (Config, soft_bounce_days), 0 },
  { "verp-pattern", KEY_STRING, G_STRUCT_OFFSET (Config, verp_pattern), 0 },
  { "metrics-file", KEY_STRING, G_STRUCT_OFFSET (Config, metrics_file), 0 },
  { "retry-unreadable", KEY_COUNT, G_STRUCT_OFFSET (Config, retry_unreadable), 1 },
  { "bounce-threshold", KEY_PERCENT, G_STRUCT_OFFSET (Config, bounce_threshold), 0 },
  { "complaint-threshold", KEY_PERCENT, G_STRUCT_OFFSET (Config, complaint_threshold), 0 },
};

Config *
config_new (void)
{
  Config *config = g_new0 (Config, 1);

  config->batch_size = CONFIG_DEFAULT_BATCH_SIZE;
  config->rules_files = g_ptr_array_new_with_free_func (g_free);
  config->max_message_size = BOUNCE_DEFAULT_MAX_MESSAGE_SIZE;
  config->max_mime_depth = BOUNCE_DEFAULT_MAX_MIME_DEPTH;
  config->max_mime_parts = BOUNCE_DEFAULT_MAX_MIME_PARTS;
  config->max_recipients = BOUNCE_DEFAULT_MAX_RECIPIENTS;
  config->max_field_length = BOUNCE_DEFAULT_MAX_FIELD_LENGTH;
  config->max_wait = CONFIG_DEFAULT_MAX_WAIT;
  config->rescan_interval = CONFIG_DEFAULT_RESCAN_INTERVAL;
  config->soft_bounce_count = CONFIG_DEFAULT_SOFT_BOUNCE_COUNT;
  config->soft_bounce_days = CONFIG_DEFAULT_SOFT_BOUNCE_DAYS;
  config->retry_unreadable = CONFIG_DEFAULT_RETRY_UNREADABLE;
  config->bounce_threshold = CONFIG_DEFAULT_BOUNCE_THRESHOLD;
  config->complaint_threshold = CONFIG_DEFAULT_COMPLAINT_THRESHOLD;
  config->rules_dir = g_build_filename (BOUNCED_SYSCONFDIR, "bounced", "rules.d", NULL);
  return config;
}

char *
config_default_file (void)
{
  const char *env = g_getenv ("BOUNCED_CONFIG");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (BOUNCED_SYSCONFDIR, "bounced", "bounced.conf", NULL);
}

static gboolean
key_load (Config *config, GKeyFile *file, const char *path, const ConfigKey *key,
          GError **error_out)
{
  gpointer field = G_STRUCT_MEMBER_P (config, key->offset);
  g_autoptr(GError) error = NULL;

  switch (key->type)
    {
    case KEY_STRING:
      {
        char *value = g_key_file_get_string (file, CONFIG_GROUP, key->name, &error);
        if (value == NULL)
          break;
        g_strstrip (value);
        g_free (*(char **) field);
        /* Absent is NULL: an empty value means "not set". */
        *(char **) field = *value != '\0' ? value : (g_free (value), NULL);
        return TRUE;
      }
    case KEY_LIST:
      {
        g_auto(GStrv) values = g_key_file_get_string_list (file, CONFIG_GROUP, key->name,
                                                           NULL, &error);
        GPtrArray *array = *(GPtrArray **) field;
        if (values == NULL)
          break;
        for (guint i = 0; values[i] != NULL; i++)
          if (*g_strstrip (values[i]) != '\0')
            g_ptr_array_add (array, g_strdup (values[i]));
        return TRUE;
      }
    case KEY_SIZE:
    case KEY_COUNT:
      {
        g_autofree char *text = g_key_file_get_string (file, CONFIG_GROUP, key->name, &error);
        guint64 value;
        guint64 max = key->type == KEY_SIZE ? G_MAXSIZE : CONFIG_MAX_COUNT;

        if (text == NULL)
          break;
        if (!g_ascii_string_to_unsigned (g_strstrip (text), 10, key->min, max, &value, &error))
          break;
        if (key->type == KEY_SIZE)
          *(gsize *) field = (gsize) value;
        else
          *(guint *) field = (guint) value;
        return TRUE;
      }
    case KEY_PERCENT:
      {
        g_autofree char *text = g_key_file_get_string (file, CONFIG_GROUP, key->name, &error);
        char *end = NULL;
        double value;

        if (text == NULL)
          break;
        g_strstrip (text);
        value = g_ascii_strtod (text, &end);
        if (*text == '\0' || end == NULL || *end != '\0' || !(value > 0 && value <= 100))
          {
            g_set_error (error_out, CONFIG_ERROR, CONFIG_ERROR_INVALID,
                         "invalid value of \"%s\" in \"%s\": \"%s\" is not a percentage "
                         "above 0 and at most 100", key->name, path, text);
            return FALSE;
          }
        *(double *) field = value;
        return TRUE;
      }
    }
  g_set_error (error_out, CONFIG_ERROR, CONFIG_ERROR_INVALID,
               "invalid value of \"%s\" in \"%s\": %s", key->name, path, error->message);
  return FALSE;
}

gboolean
config_load_file (Config *config, const char *path, gboolean must_exist, GError **error_out)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  g_auto(GStrv) keys = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (config != NULL && path != NULL, FALSE);
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error))
    {
      if (!must_exist && g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error_out, CONFIG_ERROR, CONFIG_ERROR_INVALID,
                   "could not read configuration file \"%s\": %s", path, error->message);
      return FALSE;
    }
  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (strcmp (groups[i], CONFIG_GROUP) != 0)
      {
        g_set_error (error_out, CONFIG_ERROR, CONFIG_ERROR_INVALID,
                     "unknown group [%s] in \"%s\" (the settings go in [" CONFIG_GROUP "])",
                     groups[i], path);
        return FALSE;
      }
  keys = g_key_file_get_keys (file, CONFIG_GROUP, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const ConfigKey *key = NULL;

      for (gsize k = 0; k < G_N_ELEMENTS (config_keys); k++)
        if (strcmp (keys[i], config_keys[k].name) == 0)
          key = &config_keys[k];
      if (key == NULL)
        {
          g_set_error (error_out, CONFIG_ERROR, CONFIG_ERROR_INVALID,
                       "unknown setting \"%s\" in \"%s\"", keys[i], path);
          return FALSE;
        }
      if (!key_load (config, file, path, key, error_out))
        return FALSE;
    }
  g_free (config->file);
  config->file = g_strdup (path);
  if (config->db != NULL)
    {
      g_free (config->db_origin);
      config->db_origin = g_strdup_printf ("configuration file \"%s\"", path);
    }
  dir = g_path_get_dirname (path);
  g_free (config->rules_dir);
  config->rules_dir = g_build_filename (dir, "rules.d", NULL);
  return TRUE;
}

void
config_apply_environment (Config *config)
{
  static const char *const vars[] = { "BOUNCED_DB", "DATABASE_URL" };

  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *value = g_getenv (vars[i]);

      if (value != NULL && *value != '\0')
        {
          g_autofree char *origin = g_strconcat ("$", vars[i], NULL);

          config_set_db (config, value, origin);
          return;
        }
    }
}

void
config_set_db (Config *config, const char *db, const char *origin)
{
  g_free (config->db);
  g_free (config->db_origin);
  config->db = g_strdup (db);
  config->db_origin = g_strdup (origin);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
config_parse_settings (const Config *config, BounceSettings *settings,
                       BounceRules **rules_out, GError **error_out)
{
  g_autoptr(BounceRules) rules = bounce_rules_new ();
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (config != NULL && settings != NULL && rules_out != NULL, FALSE);
  for (guint i = 0; i < config->rules_files->len; i++)
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (config->rules_files, i)));
  if (config->rules_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (config->rules_dir, 0, NULL);
      g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      /* A missing rules.d is the common case, not an error. */
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.' && g_str_has_suffix (name, ".rules"))
          g_ptr_array_add (found, g_build_filename (config->rules_dir, name, NULL));
      g_ptr_array_sort (found, compare_names);
      for (guint i = 0; i < found->len; i++)
        g_ptr_array_add (files, g_strdup (g_ptr_array_index (found, i)));
    }
  for (guint i = 0; i < files->len; i++)
    if (!bounce_rules_load (rules, g_ptr_array_index (files, i), error_out))
      return FALSE;

  settings->max_message_size = config->max_message_size;
  settings->max_mime_depth = config->max_mime_depth;
  settings->max_mime_parts = config->max_mime_parts;
  settings->max_recipients = config->max_recipients;
  settings->max_field_length = config->max_field_length;
  if (config->campaign_header != NULL)
    settings->campaign_header = config->campaign_header;
  *rules_out = files->len > 0 ? g_steal_pointer (&rules) : NULL;
  settings->rules = *rules_out;
  return TRUE;
}

void
config_free (Config *config)
{
  if (config == NULL)
    return;
  g_free (config->file);
  g_free (config->db);
  g_free (config->db_origin);
  g_free (config->done_folder);
  g_free (config->other_folder);
  g_free (config->failed_folder);
  g_free (config->campaign_header);
  g_free (config->verp_pattern);
  g_free (config->metrics_file);
  g_ptr_array_unref (config->rules_files);
  g_free (config->rules_dir);
  g_free (config);
}
