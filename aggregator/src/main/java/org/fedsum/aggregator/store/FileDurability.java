package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * File-system habits shared by the store: owner-only permissions where the file system is POSIX,
 * and syncing a directory so that a file created, renamed or deleted in it survives a crash.
 */
final class FileDurability {
  /** {@code rw-------}: journal, checkpoints, spooled vectors and the lock file. */
  static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");

  /** {@code rwx------}: the data directory and every directory under it. */
  static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  private FileDurability() {}

  static boolean isPosix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** The attributes that create a file readable and writable by its owner only. */
  static FileAttribute<?>[] ownerOnlyFile(Path path) {
    return isPosix(path)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
        : new FileAttribute<?>[0];
  }

  /**
   * Creates {@code directory} and its missing parents, then makes {@code directory} itself
   * owner-only (also when it already existed with wider permissions: a data directory readable by
   * others would expose the journal and the models).
   */
  static void createPrivateDirectory(Path directory) throws IOException {
    if (isPosix(directory)) {
      Files.createDirectories(
          directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
      if (!Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS)
          .equals(OWNER_ONLY_DIRECTORY)) {
        Files.setPosixFilePermissions(directory, OWNER_ONLY_DIRECTORY);
      }
    } else {
      Files.createDirectories(directory);
    }
  }

  /** Opens a new owner-only file; fails if it exists. */
  static FileChannel createPrivateFile(Path file, ChannelOpener opener) throws IOException {
    return opener.open(
        file,
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
        ownerOnlyFile(file));
  }

  /**
   * Makes the entries of {@code directory} durable (a new, renamed or deleted file): the fsync of a
   * file covers its data, not the directory entry that names it. File systems that cannot open a
   * directory (not POSIX) are skipped.
   */
  static void syncDirectory(Path directory) throws IOException {
    if (!isPosix(directory)) {
      return;
    }
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /**
   * Deletes {@code path} and, if it is a directory, everything under it; symbolic links are not
   * followed.
   */
  static void deleteRecursively(Path path) throws IOException {
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
        for (Path entry : entries) {
          deleteRecursively(entry);
        }
      }
    }
    try {
      Files.delete(path);
    } catch (NoSuchFileException e) {
      // Already gone: the goal is reached.
    }
  }

  /** Opens a file channel; tests substitute one that fails on demand. */
  @FunctionalInterface
  interface ChannelOpener {
    ChannelOpener DEFAULT = FileChannel::open;

    FileChannel open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
        throws IOException;
  }
}
