/* input-walk.h - the files named on a command line, directories expanded */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _InputWalk InputWalk;

/* Makes a walk over @paths (borrowed; must outlive the walk). */
InputWalk *input_walk_new (char **paths);

/**
 * input_walk_next:
 * Returns the next input path (transfer full), or NULL at the end.  A path
 * that is neither a file nor a directory (missing, unreadable) is returned
 * as it is, so that the caller reports it.  "-" is returned as "-".
 * Directories are read recursively: a Maildir (a directory with cur/ and
 * new/) yields the messages of cur/ and new/ and of its ".Sub" folders, never
 * tmp/; another directory yields every file below it except hidden ones.
 * Entries come sorted by name, except in directories of more than
 * INPUT_WALK_SORT_MAX entries, which are streamed in file-system order so
 * that memory stays flat.  A directory below that cannot be read is
 * returned as a path too (its reading fails, with the reason); a symbolic
 * link to a directory below is not followed (logged once per link).
 */
char *input_walk_next (InputWalk *walk);

void input_walk_free (InputWalk *walk);

#define INPUT_WALK_SORT_MAX 65536

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InputWalk, input_walk_free)

G_END_DECLS
