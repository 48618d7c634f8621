package io.tenantgateway.gateway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The repository's deployment files, as the deploy tests read them, and a small reader of nginx
 * configuration: directives with their arguments and the blocks they sit in.
 */
final class DeployFiles {

  private DeployFiles() {
  }

  /** @return the repository root: the nearest directory up from the working directory with the compose file */
  static Path repo() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.exists(dir.resolve("docker-compose.yml")) && Files.exists(dir.resolve("pom.xml"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("no docker-compose.yml in " + Path.of("").toAbsolutePath() + " or above");
  }

  /**
   * @param relative a path inside the repository
   * @return its text
   */
  static String read(String relative) {
    try {
      return Files.readString(repo().resolve(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * One nginx directive.
   *
   * @param block the enclosing blocks, outermost first, e.g. {@code server/location /}
   * @param name the directive name
   * @param args its arguments, quotes removed
   */
  record Directive(String block, String name, List<String> args) {

    /** @return the arguments joined by one space */
    String value() {
      return String.join(" ", args);
    }
  }

  /**
   * Reads nginx configuration text (comments dropped, quotes honoured). A block directive such as
   * {@code location /} is listed too, with its arguments.
   *
   * @param text the configuration
   * @return every directive in order
   */
  static List<Directive> nginxDirectives(String text) {
    List<Directive> out = new ArrayList<>();
    List<String> blocks = new ArrayList<>();
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
        continue;
      }
      if (c == '#') {
        while (i < text.length() && text.charAt(i) != '\n') {
          i++;
        }
        c = '\n';
      }
      if (c == '"' || c == '\'') {
        quote = c;
        if (word == null) {
          word = new StringBuilder();
        }
        continue;
      }
      if (Character.isWhitespace(c) || c == ';' || c == '{' || c == '}') {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
        if (c == ';' || c == '{') {
          if (words.isEmpty()) {
            throw new IllegalArgumentException("empty directive at offset " + i);
          }
          out.add(new Directive(String.join("/", blocks), words.get(0), List.copyOf(words.subList(1, words.size()))));
          if (c == '{') {
            blocks.add(String.join(" ", words));
          }
          words.clear();
        } else if (c == '}') {
          if (!words.isEmpty() || blocks.isEmpty()) {
            throw new IllegalArgumentException("unbalanced } at offset " + i);
          }
          blocks.remove(blocks.size() - 1);
        }
        continue;
      }
      if (word == null) {
        word = new StringBuilder();
      }
      word.append(c);
    }
    if (!blocks.isEmpty() || !words.isEmpty() || quote != 0) {
      throw new IllegalArgumentException("unterminated block, directive or quote");
    }
    return out;
  }

  /**
   * @param size an nginx size such as {@code 64k}, {@code 1g} or {@code 512}
   * @return bytes
   */
  static long nginxSize(String size) {
    String s = size.toLowerCase();
    long unit = s.endsWith("k") ? 1L << 10 : s.endsWith("m") ? 1L << 20 : s.endsWith("g") ? 1L << 30 : 1;
    return Long.parseLong(unit == 1 ? s : s.substring(0, s.length() - 1)) * unit;
  }

  /**
   * @param time an nginx or systemd time such as {@code 300s}, {@code 5m} or {@code 90}
   * @return seconds
   */
  static long seconds(String time) {
    String s = time.toLowerCase();
    if (s.endsWith("ms")) {
      return Long.parseLong(s.substring(0, s.length() - 2)) / 1000;
    }
    long unit = s.endsWith("m") || s.endsWith("min") ? 60 : s.endsWith("h") ? 3600 : 1;
    return Long.parseLong(s.replaceAll("[a-z]+$", "")) * unit;
  }
}
