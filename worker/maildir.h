/* maildir.h - the Maildir protocol: scan, claim, acknowledge, recover
 *
 * The one module that touches a Maildir (STYLE.md 13).  The life cycle of a
 * message, the claim directory and the invariants are described at the top
 * of maildir.c.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MAILDIR_ERROR (maildir_error_quark ())

typedef enum {
  MAILDIR_ERROR_NOT_MAILDIR,  /* the path is not a Maildir (no cur/ new/ tmp/) */
  MAILDIR_ERROR_IO,           /* a rename, mkdir or read failed: see the message */
  MAILDIR_ERROR_UNSAFE,       /* a part of the Maildir is a symbolic link, not a
                               * directory, or of another device or owner */
} MaildirError;

GQuark maildir_error_quark (void);

/* Default folders (Maildir++ subfolders of the Maildir, RFC-less but the
 * convention of Courier and Dovecot: a directory ".Name" with cur/ new/ tmp/). */
#define MAILDIR_DEFAULT_OTHER_FOLDER  ".NotBounce"
#define MAILDIR_DEFAULT_FAILED_FOLDER ".Failed"

/* The directory, inside the Maildir, that holds each worker's claims.  Its
 * name has no leading dot, so that mail readers do not list it as a folder. */
#define MAILDIR_CLAIM_DIR "bounced-claims"

/**
 * MaildirSettings:
 * @done_folder: (nullable): Maildir++ folder (".Done") for processed
 *   bounces; NULL keeps them in the Maildir's own cur/ with the S flag.
 * @other_folder: (nullable): folder for mail that is not a bounce
 *   (NULL: MAILDIR_DEFAULT_OTHER_FOLDER).
 * @failed_folder: (nullable): folder for mail that could not be parsed
 *   (NULL: MAILDIR_DEFAULT_FAILED_FOLDER).
 * @include_cur: also claim leftovers of cur/ that carry neither the S
 *   (seen) nor the T (trashed) flag.
 *
 * A folder name is a Maildir++ subfolder of the Maildir (it must start with
 * a dot and contain no slash).
 */
typedef struct {
  const char *done_folder;
  const char *other_folder;
  const char *failed_folder;
  gboolean include_cur;
} MaildirSettings;

void maildir_settings_init (MaildirSettings *settings);

/* Where an acknowledged message goes. */
typedef enum {
  MAILDIR_DEST_DONE,    /* processed: cur/ with the S flag, or the done folder */
  MAILDIR_DEST_OTHER,   /* not a bounce: the other folder, for humans */
  MAILDIR_DEST_FAILED,  /* unparseable: the failed folder */
} MaildirDest;

typedef struct _Maildir Maildir;

/**
 * MaildirClaim:
 * A message this worker has claimed.
 * @path: where the file is now (inside this worker's claim directory); read
 *   it from there.
 * @source: where it was when claimed ("MAILDIR/new/NAME").
 * @name_time: when it was delivered, by its name (the leading seconds of
 *   the name the specification recommends, "TIME.MUSECPPID.HOST"), as
 *   Unix time; 0 when the name does not start that way.
 * @mtime: the file's modification time when claimed (a rename keeps it),
 *   as Unix time, read only when @name_time is 0; 0 if unknown or not read.
 */
typedef struct {
  char *path;
  char *source;
  gint64 name_time;
  gint64 mtime;

  /*< private >*/
  char *name;
  gboolean from_cur;
} MaildirClaim;

/**
 * maildir_open:
 * @path: the Maildir (a directory with cur/, new/ and tmp/).
 * @settings: (nullable): folders; copied.
 *
 * Opens a Maildir for ingestion: checks that it is one, creates the
 * configured folders (with cur/ new/ tmp/), creates and locks this worker's
 * claim directory, and returns the claims of dead workers to where they were
 * (maildir_recover()).
 *
 *   g_autoptr(Maildir) md = maildir_open ("/var/mail/bounces", NULL, &error);
 *   while ((claim = maildir_claim_next (md, &error)) != NULL)
 *     ... maildir_acknowledge (md, claim, MAILDIR_DEST_DONE, &error);
 *
 * Returns: (transfer full): the Maildir, or NULL with @error_out set
 *   (MAILDIR_ERROR_NOT_MAILDIR, MAILDIR_ERROR_IO).
 */
Maildir *maildir_open (const char *path, const MaildirSettings *settings,
                       GError **error_out);

/* The path given to maildir_open() (borrowed). */
const char *maildir_get_path (const Maildir *md);

/**
 * maildir_recover:
 * Returns the messages of every dead worker's claim directory (one whose
 * lock nobody holds) to new/ or cur/, where they were claimed from, and
 * removes the directory.  Claims of live workers are left alone.
 * Returns: how many messages were returned, or -1 with @error_out set.
 */
int maildir_recover (Maildir *md, GError **error_out);

/**
 * maildir_rewind:
 * Starts a new pass: the next maildir_claim_next() reads new/ from the
 * start (then, with include_cur, cur/).
 */
void maildir_rewind (Maildir *md);

/**
 * maildir_claim_next:
 * Claims the next message of the current pass by renaming it into this
 * worker's claim directory.  A message that another worker renamed first is
 * skipped silently.  Memory is flat: the directory is streamed, not listed.
 * Returns: (transfer full) (nullable): the claim, or NULL at the end of the
 *   pass (with @error_out unset) or on failure (@error_out set).
 */
MaildirClaim *maildir_claim_next (Maildir *md, GError **error_out);

/**
 * maildir_acknowledge:
 * Moves a claimed message to its final place (@dest), after the database
 * has committed it.  Never replaces an existing file: a name already taken
 * gets a fresh unique name.  On failure the message stays in the claim
 * directory and is returned to new/ by the next recovery.
 * Returns: TRUE, or FALSE with @error_out set (MAILDIR_ERROR_IO).
 */
gboolean maildir_acknowledge (Maildir *md, const MaildirClaim *claim,
                              MaildirDest dest, GError **error_out);

/**
 * maildir_planned_path:
 * Where maildir_acknowledge() of @claim to @dest will put it if nothing
 * takes its name first (it then gets a fresh one), so that the database
 * row can name the file's last place in the transaction that stores it.
 * Returns: (transfer full) (nullable): the path, or NULL when it cannot be
 *   known beforehand (the name, with its flags, is too long: a fresh one
 *   is made when acknowledging).
 */
char *maildir_planned_path (Maildir *md, const MaildirClaim *claim, MaildirDest dest);

/* maildir_acknowledge(), telling where the message ended:
 * @final_path_out: (out) (transfer full) (optional): its path now. */
gboolean maildir_acknowledge_to (Maildir *md, const MaildirClaim *claim, MaildirDest dest,
                                 char **final_path_out, GError **error_out);

/**
 * maildir_name_time:
 * The delivery time a Maildir file name carries: its leading decimal
 * seconds up to the first dot ("1795000037.M1P4242.host" -> 1795000037),
 * when they are a plausible time (1990 to 2100); else 0.  This is the one
 * place where the worker reads a name beyond its info part, and only as the
 * last witness of when an undated notice arrived.
 */
gint64 maildir_name_time (const char *name);

/**
 * maildir_release:
 * Returns a claimed message, unprocessed, to where it was claimed from.
 * Returns: TRUE, or FALSE with @error_out set (MAILDIR_ERROR_IO).
 */
gboolean maildir_release (Maildir *md, const MaildirClaim *claim,
                          GError **error_out);

void maildir_claim_free (MaildirClaim *claim);

/* Closes the Maildir: returns to new/ anything still claimed, removes this
 * worker's claim directory and drops its lock.  NULL is accepted. */
void maildir_close (Maildir *md);

/* The file, at the top of the Maildir, where workers record their last
 * batch (for `bounced status`): a dot file, which mail readers skip (Maildir
 * readers look in cur/ and new/, and list directories as folders). */
#define MAILDIR_LAST_BATCH_FILE ".bounced-last-batch"

/**
 * maildir_record_batch:
 * Records that a batch of @messages messages from this Maildir was committed
 * and acknowledged at @when (Unix time): MAILDIR/.bounced-last-batch,
 * replaced atomically.  Returns FALSE with @error_out set on failure.
 */
gboolean maildir_record_batch (Maildir *md, guint messages, gint64 when, GError **error_out);

/**
 * MaildirInspection:
 * What a look at a Maildir finds, without changing anything in it.
 * @backlog_new: messages in new/.
 * @backlog_cur: messages of cur/ with neither the S nor the T flag.
 * @claims_live: messages in the claim directories of running workers.
 * @claims_stale: messages in the claim directories of dead workers (the
 *   next worker to run returns them).
 * @workers: running workers (claim directories whose lock is held).
 * @last_batch: Unix time of the last batch recorded, 0 for none.
 * @last_batch_messages: its size.
 */
typedef struct {
  guint64 backlog_new;
  guint64 backlog_cur;
  guint64 claims_live;
  guint64 claims_stale;
  guint workers;
  gint64 last_batch;
  guint last_batch_messages;
} MaildirInspection;

/**
 * maildir_inspect:
 * Counts the backlog and the claims of the Maildir @path, read-only (it
 * creates, moves and removes nothing: `bounced status` may run as a user
 * who may only read the Maildir).  Memory is flat: directories are streamed.
 * Returns: TRUE, or FALSE with @error_out set (MAILDIR_ERROR_NOT_MAILDIR,
 *   MAILDIR_ERROR_IO).
 */
gboolean maildir_inspect (const char *path, MaildirInspection *out, GError **error_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Maildir, maildir_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MaildirClaim, maildir_claim_free)

G_END_DECLS
