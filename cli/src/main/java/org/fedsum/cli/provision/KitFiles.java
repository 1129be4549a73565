package org.fedsum.cli.provision;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.fedsum.cli.CliException;

/**
 * File writing for kits: new files are created, never replaced (a key written over is a key lost),
 * private keys are created with mode 0600 from the start (no window in which they are readable by
 * others), and the CRL, the one file that changes, is replaced atomically so a running aggregator
 * never reads half of it.
 */
public final class KitFiles {
  /** Mode of private keys and of the CA folder's key. */
  public static final Set<PosixFilePermission> OWNER_READ_WRITE =
      PosixFilePermissions.fromString("rw-------");

  static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");
  static final Set<PosixFilePermission> SCRIPT = PosixFilePermissions.fromString("rwxr-xr-x");
  static final Set<PosixFilePermission> PRIVATE_FOLDER =
      PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwxr-xr-x");

  private KitFiles() {}

  /**
   * Creates {@code file} with {@code text} and mode {@code permissions}; refuses an existing one.
   */
  public static void createNew(Path file, String text, Set<PosixFilePermission> permissions)
      throws CliException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(permissions));
      // The umask may have removed bits; set exactly what was asked.
      Files.setPosixFilePermissions(file, permissions);
      try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } catch (FileAlreadyExistsException e) {
      throw new CliException(
          file + " already exists; provisioning never overwrites a file (remove it first)", e);
    } catch (IOException e) {
      throw new CliException(
          "cannot write " + file + ": " + e.getMessage(), CliException.FAILURE, e);
    }
  }

  /** Creates folder {@code folder} with mode {@code permissions}; refuses an existing one. */
  public static void createFolder(Path folder, Set<PosixFilePermission> permissions)
      throws CliException {
    try {
      Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(permissions));
      Files.setPosixFilePermissions(folder, permissions);
    } catch (FileAlreadyExistsException e) {
      throw new CliException(
          folder + " already exists; provisioning never overwrites a kit (remove it first)", e);
    } catch (IOException e) {
      throw new CliException(
          "cannot create " + folder + ": " + e.getMessage(), CliException.FAILURE, e);
    }
  }

  /** Replaces {@code file} by {@code text} atomically (write a sibling, then rename over). */
  public static void replace(Path file, String text) throws CliException {
    Path temporary = file.resolveSibling("." + file.getFileName() + ".new");
    try {
      Files.deleteIfExists(temporary);
      Files.writeString(temporary, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
      Files.setPosixFilePermissions(temporary, PUBLIC_FILE);
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new CliException(
          "cannot replace " + file + ": " + e.getMessage(), CliException.FAILURE, e);
    }
  }

  /** The text of {@code file}. */
  public static String read(Path file) throws CliException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
