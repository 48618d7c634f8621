package io.tenantgateway.fcgi;

/**
 * A snapshot of one endpoint's pool.
 *
 * @param open connections open or being opened
 * @param idle open connections not in use
 * @param waiting requests in the admission queue
 * @param limit the most connections allowed
 */
public record FcgiPoolStats(int open, int idle, int waiting, int limit) {
}
