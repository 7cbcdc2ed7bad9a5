/**
 * The official nbformat v4 JSON schema (Jupyter's, as Debian's python3-nbformat ships it; .ci/run installs it)
 * and a validator for it. The schema is draft-04, hence ajv's draft-04 build. A missing schema fails loudly.
 */
import { existsSync, readFileSync } from 'node:fs';
import ajvDraft04 from 'ajv-draft-04';

// A CommonJS module: under NodeNext its default import is module.exports, whose `default` is the class.
const Ajv = ajvDraft04.default;

export const NBFORMAT_SCHEMA =
  process.env.NBFORMAT_SCHEMA ?? '/usr/lib/python3/dist-packages/nbformat/v4/nbformat.v4.schema.json';

/** Validation errors of a notebook against the nbformat v4 schema; empty when it is valid. */
export function nbformatErrors(notebook: unknown): string[] {
  if (!existsSync(NBFORMAT_SCHEMA)) {
    throw new Error(
      `nbformat v4 schema not found at ${NBFORMAT_SCHEMA}: install python3-nbformat (apt-get install python3-nbformat) or set NBFORMAT_SCHEMA`,
    );
  }
  const schema = JSON.parse(readFileSync(NBFORMAT_SCHEMA, 'utf8')) as { $schema?: string };
  if (!schema.$schema?.includes('draft-04')) throw new Error(`unexpected schema dialect ${schema.$schema}`);
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (validate(notebook)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
