import axios, { AxiosInstance, AxiosResponse } from 'axios';

type Schema = Record<string, unknown>;

export interface Document {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema: Schema }> }> }>
  >;
  components: { schemas: Record<string, Schema> };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks answers against the gateway's own OpenAPI document (served at /docs-json), the source of the typed client:
 * every key an answer has must be documented, every required one present, and each value of the documented type,
 * format, enum and nullability. Answers of routes whose document gives no schema (204s, the loosely typed
 * pass-through) are not checked.
 */
export class OpenApiConformance {
  private constructor(
    private readonly document: Document,
    private readonly templates: { method: string; template: string; pattern: RegExp; params: number }[],
  ) {}

  /** The document the gateway at `baseURL` serves. */
  static async load(baseURL: string): Promise<OpenApiConformance> {
    return OpenApiConformance.of((await axios.get<Document>(`${baseURL}/docs-json`)).data);
  }

  static of(document: Document): OpenApiConformance {
    const templates = Object.entries(document.paths).flatMap(([template, operations]) =>
      Object.keys(operations).map((method) => ({
        method,
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
      })),
    );
    return new OpenApiConformance(document, templates);
  }

  /** What is wrong with one answer; empty when it matches its documented schema (or none is documented). */
  problems(method: string, url: string, status: number, body: unknown): string[] {
    const path = new URL(url, 'http://gateway').pathname;
    const route = this.templates
      .filter((t) => t.method === method.toLowerCase() && t.pattern.test(path))
      .sort((a, b) => a.params - b.params)[0];
    if (!route) return [`${method} ${path}: not in the document`];
    const responses = this.document.paths[route.template]![route.method]!.responses ?? {};
    const documented = responses[String(status)] ?? responses.default;
    const where = `${method.toUpperCase()} ${route.template} → ${status}`;
    if (!documented) return [`${where}: status not documented`];
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) return [];
    const problems: string[] = [];
    this.check(schema, body, where, problems);
    return problems;
  }

  /** An HTTP client (never throwing on status) that records the problems of every answer it gets. */
  client(baseURL: string, problems: string[]): AxiosInstance {
    const http = axios.create({ baseURL, validateStatus: () => true, timeout: 15000 });
    http.interceptors.response.use((res: AxiosResponse) => {
      problems.push(...this.problems(res.config.method ?? 'get', res.config.url ?? '', res.status, res.data));
      return res;
    });
    return http;
  }

  private check(schema: Schema, value: unknown, at: string, problems: string[]): void {
    if (typeof schema.$ref === 'string') {
      const target = this.document.components.schemas[schema.$ref.split('/').pop()!]!;
      // A nullable field of a named type is `{nullable, allOf: [{$ref}]}`: the null is allowed by the field.
      return this.check(schema.nullable === true ? { ...target, nullable: true } : target, value, at, problems);
    }
    if (Array.isArray(schema.allOf)) {
      for (const part of schema.allOf as Schema[])
        this.check({ ...part, nullable: schema.nullable }, value, at, problems);
      return;
    }
    if (value === null) {
      if (schema.nullable !== true) problems.push(`${at}: null, not documented as nullable`);
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    const type = schema.type ?? (schema.properties ? 'object' : undefined);
    if (type === 'object') this.checkObject(schema, value, at, problems);
    else if (type === 'array') {
      if (!Array.isArray(value)) problems.push(`${at}: not an array`);
      else value.forEach((item, i) => this.check(schema.items as Schema, item, `${at}[${i}]`, problems));
    } else if (type === 'string') this.checkString(schema, value, at, problems);
    else if (type === 'integer' && !Number.isInteger(value))
      problems.push(`${at}: ${JSON.stringify(value)} is not an integer`);
    else if (type === 'number' && typeof value !== 'number')
      problems.push(`${at}: ${JSON.stringify(value)} is not a number`);
    else if (type === 'boolean' && typeof value !== 'boolean')
      problems.push(`${at}: ${JSON.stringify(value)} is not a boolean`);
  }

  private checkObject(schema: Schema, value: unknown, at: string, problems: string[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${at}: ${JSON.stringify(value)} is not an object`);
      return;
    }
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const record = value as Record<string, unknown>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in record)) problems.push(`${at}: required key ${key} is missing`);
    }
    for (const [key, item] of Object.entries(record)) {
      const property = properties[key];
      if (property) this.check(property, item, `${at}.${key}`, problems);
      else if (!schema.additionalProperties) problems.push(`${at}: key ${key} is not documented`);
    }
  }

  private checkString(schema: Schema, value: unknown, at: string, problems: string[]): void {
    if (typeof value !== 'string') {
      problems.push(`${at}: ${JSON.stringify(value)} is not a string`);
      return;
    }
    const format = { uuid: UUID, date: DATE, 'date-time': DATE_TIME }[schema.format as string];
    if (format && !format.test(value))
      problems.push(`${at}: ${JSON.stringify(value)} is not a ${String(schema.format)}`);
  }
}
