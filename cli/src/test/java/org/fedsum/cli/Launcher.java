package org.fedsum.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ./fedsum} script as a user runs it, for the ITs: a working folder with a link to the
 * repository's script, commands run by {@code bash -c} exactly as written in README.md, the built
 * jar used as it is ({@code FEDSUM_NO_BUILD}: a test must not start a build).
 */
public final class Launcher implements AutoCloseable {
  private final Path repository;
  private final Path workingFolder;
  private final List<Process> background = new ArrayList<>();

  private Launcher(Path repository, Path workingFolder) {
    this.repository = repository;
    this.workingFolder = workingFolder;
  }

  /** A working folder {@code folder} in which {@code ./fedsum} is the repository's script. */
  public static Launcher in(Path folder) throws IOException {
    Path repository =
        Path.of(System.getProperty("fedsum.repository", "..")).toAbsolutePath().normalize();
    Path jar = repository.resolve("cli/target/fedsum-cli.jar");
    assertThat(jar).as("the launcher jar (built by 'package')").isRegularFile();
    assertThat(repository.resolve("cli/target/lib")).isDirectory();
    Files.createSymbolicLink(folder.resolve("fedsum"), repository.resolve("fedsum"));
    return new Launcher(repository, folder);
  }

  public Path repository() {
    return repository;
  }

  public Path folder() {
    return workingFolder;
  }

  /** The README's fenced {@code sh} blocks' command lines, in order. */
  public static List<String> readmeCommands(Path repository) throws IOException {
    List<String> commands = new ArrayList<>();
    boolean inShell = false;
    for (String line : Files.readAllLines(repository.resolve("README.md"))) {
      String stripped = line.strip();
      if (stripped.startsWith("```")) {
        inShell = !inShell && stripped.equals("```sh");
        continue;
      }
      if (inShell && !stripped.isEmpty() && !stripped.startsWith("#")) {
        commands.add(stripped);
      }
    }
    return commands;
  }

  /** The README's fenced YAML block whose first line is {@code # <name>: ...}. */
  public static String readmeYaml(Path repository, String name) throws IOException {
    String text = Files.readString(repository.resolve("README.md"));
    Matcher block =
        Pattern.compile("```yaml\\n(\\s*# " + Pattern.quote(name) + ":[\\s\\S]*?)```")
            .matcher(text);
    assertThat(block.find()).as("README.md has a yaml block starting '# %s:'", name).isTrue();
    return block.group(1).stripIndent();
  }

  private ProcessBuilder builder(String command, Path output) {
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", command);
    builder.directory(workingFolder.toFile());
    builder.environment().put("FEDSUM_NO_BUILD", "1");
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.environment().put("FEDSUM", workingFolder.resolve("fedsum").toString());
    builder.redirectErrorStream(true);
    builder.redirectOutput(output.toFile());
    return builder;
  }

  /** The result of a command run to its end. */
  public record Result(int exitCode, String output) {}

  /** Runs {@code command} to its end (at most {@code seconds}). */
  public Result run(String command, long seconds) throws IOException, InterruptedException {
    Path output = Files.createTempFile(workingFolder, "command", ".out");
    Process process = builder(command, output).start();
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new AssertionError(
          command + " did not end within " + seconds + " s; output:\n" + Files.readString(output));
    }
    return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }

  /** A command left running; its output goes to {@code log}. */
  public Process start(String command, Path log) throws IOException {
    Process process = builder(command, log).start();
    background.add(process);
    return process;
  }

  /** Waits until {@code log} holds a line containing {@code text}; returns that line. */
  public static String awaitLine(Path log, String text, Process process, long seconds)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          if (line.contains(text)) {
            return line;
          }
        }
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "the process ended ("
                + process.exitValue()
                + ") before printing '"
                + text
                + "':\n"
                + Files.readString(log));
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "no '" + text + "' within " + seconds + " s:\n" + Files.readString(log));
  }

  /** Stops every background command: SIGTERM, then SIGKILL for what is left after 20 s. */
  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process process : background) {
      all.add(process.toHandle());
      process.descendants().forEach(all::add);
    }
    for (ProcessHandle handle : all) {
      handle.destroy();
    }
    for (ProcessHandle handle : all) {
      try {
        handle.onExit().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        handle.destroyForcibly();
      }
    }
  }
}
