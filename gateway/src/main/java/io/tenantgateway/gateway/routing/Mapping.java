package io.tenantgateway.gateway.routing;

import java.nio.file.Path;

/**
 * What a request path resolves to within a tenant's docroot.
 */
public sealed interface Mapping {

  /**
   * Run a PHP script.
   *
   * @param scriptName the script's URI path (SCRIPT_NAME)
   * @param scriptFile the script's file (SCRIPT_FILENAME: docroot + SCRIPT_NAME)
   * @param pathInfo PATH_INFO, or null when the path was not split
   * @param documentUri DOCUMENT_URI: the normalised path after the index rewrite, as nginx's $uri; with
   *     PATH_INFO the script's path, as after Debian's {@code try_files $fastcgi_script_name}
   */
  record Script(String scriptName, Path scriptFile, String pathInfo, String documentUri) implements Mapping {
  }

  /**
   * Serve a file of the docroot as it is.
   *
   * @param file the file
   */
  record StaticFile(Path file) implements Mapping {
  }

  /**
   * Redirect a directory path without its trailing slash.
   *
   * @param location the target path, percent-encoded (UTF-8), without the query
   */
  record Redirect(String location) implements Mapping {
  }

  /**
   * Refuse the request.
   *
   * @param status the HTTP status
   */
  record Refused(int status) implements Mapping {
  }
}
