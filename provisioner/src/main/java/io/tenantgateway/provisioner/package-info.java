/**
 * Tenant php-fpm pools: config rendering, process start/stop and supervision, on-demand activation,
 * isolation. Empty until the provisioner issue; tenants reach pools through their {@code backend}
 * until then.
 */
package io.tenantgateway.provisioner;
