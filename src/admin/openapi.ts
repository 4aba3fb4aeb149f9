// The OpenAPI 3.1 document of the Admin API, generated from the routes' own declarations: each
// route says its method, path, summary, parameters and the zod schema of every status it answers
// with, and `openApiDocument` turns them into paths with `z.toJSONSchema`. Declaring a route is
// what puts it in the document, so the two cannot drift apart.

import { z } from 'zod';

export interface RouteParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: z.ZodType;
}

export interface RouteDeclaration {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify form (`/users/:id`); written `{id}` in the document. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly parameters?: readonly RouteParameter[];
  readonly body?: z.ZodType;
  /** Every status the route answers with, and its body (none for a 204). */
  readonly responses: Readonly<Record<number, { description: string; schema?: z.ZodType }>>;
}

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

/** `value` with every local `#/$defs/X` reference pointing at the document's components. */
function pointRefsAtComponents(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pointRefsAtComponents);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace(/^#\/\$defs\//, COMPONENTS)
        : pointRefsAtComponents(inner),
    ]),
  );
}

/**
 * The JSON Schema of `schema`. Schemas named with `.meta({id})` are moved into `components`
 * (their local `$defs` would not resolve inside the larger document).
 */
function toJsonSchema(schema: z.ZodType, components: Json): Json {
  const {
    $schema: _ignored,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
  }) as Json & { $defs?: Json };
  for (const [name, definition] of Object.entries($defs ?? {})) {
    components[name] = pointRefsAtComponents(definition);
  }
  return pointRefsAtComponents(rest) as Json;
}

const openApiPath = (path: string): string => path.replace(/:([A-Za-z_]+)/g, '{$1}');

export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
  readonly serverUrl: string;
}

export function openApiDocument(
  info: DocumentInfo,
  routes: readonly RouteDeclaration[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Json = {};
  const jsonSchema = (schema: z.ZodType): Json => toJsonSchema(schema, schemas);
  for (const route of routes) {
    const operations = (paths[openApiPath(route.path)] ??= {});
    operations[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: [{ bearer: ['urn:mas:admin'] }],
      parameters: (route.parameters ?? []).map((parameter) => ({
        name: parameter.name,
        in: parameter.in,
        description: parameter.description,
        required: parameter.in === 'path' ? true : (parameter.required ?? false),
        schema: jsonSchema(parameter.schema),
      })),
      ...(route.body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body) } },
            },
          }),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          response.schema === undefined
            ? { description: response.description }
            : {
                description: response.description,
                content: { 'application/json': { schema: jsonSchema(response.schema) } },
              },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverUrl }],
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An OAuth 2.0 access token with the urn:mas:admin scope',
        },
      },
    },
    paths,
  };
}
