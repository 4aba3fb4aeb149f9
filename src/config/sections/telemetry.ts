// `telemetry` section: traces, metrics and Sentry, with MAS's keys and defaults
// (crates/config/src/sections/telemetry.rs). Unset optional values keep MAS's documented meaning:
// sample rates default to 1.0 (tracing, sentry events) and 0.0 (sentry traces), the OTLP endpoint
// to the exporter's own default, the Sentry environment to `production`.

import { z } from 'zod';

const rate = (description: string) => z.number().min(0).max(1).optional().describe(description);

const endpoint = z
  .string()
  .refine((value) => URL.canParse(value), { message: 'must be an absolute URL' })
  .optional()
  .describe('OTLP over HTTP endpoint, e.g. `https://localhost:4318`.');

export const tracingSchema = z
  .strictObject({
    exporter: z.enum(['none', 'stdout', 'otlp']).default('none').describe('Where to send traces.'),
    endpoint,
    propagators: z
      .array(z.enum(['tracecontext', 'baggage', 'jaeger']))
      .default([])
      .describe('Trace context formats read from and written to HTTP headers.'),
    sample_rate: rate('Share of traces kept, 0.0 to 1.0. Defaults to 1.0.'),
  })
  .describe('Exporting traces.');

export const metricsSchema = z
  .strictObject({
    exporter: z
      .enum(['none', 'stdout', 'otlp', 'prometheus'])
      .default('none')
      .describe(
        'Where to send metrics. `prometheus` needs a listener with the `prometheus` resource.',
      ),
    endpoint,
  })
  .describe('Exporting metrics.');

export const sentrySchema = z
  .strictObject({
    dsn: z.string().optional().describe('Sentry DSN.'),
    environment: z
      .string()
      .optional()
      .describe('Environment reported to Sentry. Defaults to `production`.'),
    sample_rate: rate('Share of error events sent, 0.0 to 1.0. Defaults to 1.0.'),
    traces_sample_rate: rate('Share of transactions traced, 0.0 to 1.0. Defaults to 0.0.'),
  })
  .describe('Reporting errors to Sentry.');

export const telemetrySchema = z
  .strictObject({
    tracing: tracingSchema.default(() => ({ exporter: 'none' as const, propagators: [] })),
    metrics: metricsSchema.default(() => ({ exporter: 'none' as const })),
    sentry: sentrySchema.default(() => ({})),
  })
  .describe('Monitoring: traces, metrics and Sentry.');

export type TelemetryConfig = z.infer<typeof telemetrySchema>;
