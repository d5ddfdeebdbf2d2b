// Apps for unit tests, made by the same schema as configured and stored apps,
// so that every field has the default a real app would have.
import { appSchema } from '../../src/apps/app-schema.js';
import type { App } from '../../src/apps/app.js';

/** The app `id` (key `id-key`, secret `id-secret`) with the schema's defaults, then `extra`. */
export const testApp = (id: string, extra: Partial<App> = {}): App => ({ ...appSchema.parse({ id, key: `${id}-key`, secret: `${id}-secret` }), ...extra });
