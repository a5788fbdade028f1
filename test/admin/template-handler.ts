/**
 * Loads the Lambda handler exactly as the template embeds it: Code.ZipFile of a rendered template,
 * written as index.js (CommonJS, like Lambda's inline code) where the project's node_modules resolve.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import {parse} from 'yaml'

import {ROOT} from '../support/cli.js'

export interface TemplateHandler {
  handler: (event: unknown, context?: unknown) => Promise<unknown>
  setInputs: (content: string, values: Record<string, string | boolean>) => string
  responseBody: (event: unknown, status: 'SUCCESS' | 'FAILED', reason: string, physicalResourceId: string, data?: Record<string, string>) => string
  MANAGED_TAG: string
}

export interface ParsedTemplate {
  Parameters: Record<string, {Default?: string}>
  Resources: Record<string, {Type: string; DependsOn?: string | string[]; Properties: Record<string, any>}>
  Outputs: Record<string, {Value: unknown}>
  Metadata: {ssmx: {templateVersion: string; ssmxVersion: string}}
}

export const parseTemplate = (body: string): ParsedTemplate => parse(body) as ParsedTemplate

export const zipFileOf = (body: string): string => parseTemplate(body).Resources.RunAsFunction.Properties.Code.ZipFile as string

export function loadTemplateHandler(templateBody: string): {module: TemplateHandler; cleanup: () => void} {
  const dir = mkdtempSync(join(ROOT, 'dist', 'lambda-'))
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n')
  writeFileSync(join(dir, 'index.js'), zipFileOf(templateBody))
  const module = createRequire(import.meta.url)(join(dir, 'index.js')) as TemplateHandler
  return {module, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
