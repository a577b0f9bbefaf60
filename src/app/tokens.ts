/** Injection tokens of values that are not classes. */
export const CONFIG = Symbol('Config');
export const DATA_SOURCE = Symbol('DataSource');
/** Whether the application closes the store and data source it was given at shutdown. */
export const OWNS_RESOURCES = Symbol('OwnsResources');
