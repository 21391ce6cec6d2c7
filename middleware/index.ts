export { observability, type ObservabilityOptions, type Observability, type Part } from './observability';
export { userContext, type UserResolver, type UserContextOptions } from './user-context';
export { breadcrumbs, type BreadcrumbsOptions } from './breadcrumbs';
export { scrubbing, type ScrubbingOptions, type RouteScrubRule } from './scrubbing';
export { SAFE_HEADERS } from './scrubbing/snapshot';
export { clientErrorFilter, effectiveStatus, type ClientErrorFilterOptions } from './client-error-filter';
export { errorHandler, type ErrorHandlerOptions } from './error-handler';
