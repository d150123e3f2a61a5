/**
 * The node's catalogue: volumes, targets and LUN mappings as one value ({@link io.stowage.node.catalogue.Catalogue})
 * kept in the backend and changed by compare-and-swap ({@link io.stowage.node.catalogue.CatalogueStore}). Pure data
 * and storage: applying it to the running node is {@code io.stowage.node.admin.Operations}' job.
 */
package io.stowage.node.catalogue;
