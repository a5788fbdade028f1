/**
 * Checks a CloudFormation template against the published resource specification in
 * @aws-cdk/aws-service-spec (the CDK's database built from the CloudFormation registry schemas):
 * resource types exist, properties exist and have the right types/allowed values, required properties
 * are present, Ref/Fn::GetAtt/Fn::Sub point at parameters, resources and attributes that exist.
 */
import {loadAwsServiceSpec} from '@aws-cdk/aws-service-spec'
import type {PropertyType, Resource, SpecDatabase, TypeDefinition} from '@aws-cdk/service-spec-types'

let cached: SpecDatabase | undefined
const spec = async (): Promise<SpecDatabase> => (cached ??= await loadAwsServiceSpec())

const TOP_LEVEL = ['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs']
const PARAMETER_KEYS = [
  'Type',
  'Default',
  'AllowedPattern',
  'AllowedValues',
  'ConstraintDescription',
  'Description',
  'MaxLength',
  'MaxValue',
  'MinLength',
  'MinValue',
  'NoEcho',
]
const PARAMETER_TYPES = ['String', 'Number', 'List<Number>', 'CommaDelimitedList']
const RESOURCE_KEYS = ['Type', 'Properties', 'DependsOn', 'Metadata', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy']
const PSEUDO = ['AWS::AccountId', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix', 'AWS::NoValue', 'AWS::NotificationARNs']

type Template = {
  AWSTemplateFormatVersion?: unknown
  Parameters?: Record<string, Record<string, unknown>>
  Resources: Record<string, {Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[]}>
  Outputs?: Record<string, {Value: unknown}>
  [k: string]: unknown
}

const isIntrinsic = (v: unknown): v is Record<string, unknown> =>
  Boolean(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::\w+|Condition)$/.test(Object.keys(v)[0]!))

export async function validateTemplate(t: Template): Promise<string[]> {
  const db = await spec()
  const errors: string[] = []
  const resourceSpecs = new Map<string, Resource>()

  for (const key of Object.keys(t)) if (!TOP_LEVEL.includes(key)) errors.push(`unknown top-level key ${key}`)
  if (t.AWSTemplateFormatVersion !== undefined && t.AWSTemplateFormatVersion !== '2010-09-09')
    errors.push('AWSTemplateFormatVersion must be the string 2010-09-09')
  for (const [name, p] of Object.entries(t.Parameters ?? {})) {
    for (const key of Object.keys(p)) if (!PARAMETER_KEYS.includes(key)) errors.push(`Parameters.${name}: unknown key ${key}`)
    if (!PARAMETER_TYPES.includes(String(p.Type)) && !String(p.Type).startsWith('AWS::')) errors.push(`Parameters.${name}: unknown Type ${String(p.Type)}`)
    if (p.AllowedPattern !== undefined && p.Default !== undefined && !new RegExp(String(p.AllowedPattern)).test(String(p.Default)))
      errors.push(`Parameters.${name}: Default does not match AllowedPattern`)
    if (Array.isArray(p.AllowedValues) && p.Default !== undefined && !p.AllowedValues.includes(p.Default))
      errors.push(`Parameters.${name}: Default not in AllowedValues`)
    if (typeof p.MaxLength === 'number' && typeof p.Default === 'string' && p.Default.length > p.MaxLength)
      errors.push(`Parameters.${name}: Default longer than MaxLength`)
  }
  for (const [id, r] of Object.entries(t.Resources)) {
    for (const key of Object.keys(r)) if (!RESOURCE_KEYS.includes(key)) errors.push(`Resources.${id}: unknown attribute ${key}`)
    const found = db.lookup('resource', 'cloudFormationType', 'equals', r.Type)
    if (found.length !== 1) {
      errors.push(`Resources.${id}: unknown resource type ${r.Type}`)
      continue
    }
    resourceSpecs.set(id, found[0]!)
  }

  const checkRef = (path: string, target: string): void => {
    if (!PSEUDO.includes(target) && !(t.Parameters && target in t.Parameters) && !(target in t.Resources)) errors.push(`${path}: Ref to unknown ${target}`)
  }
  const checkGetAtt = (path: string, id: string, attribute: string): void => {
    const r = resourceSpecs.get(id)
    if (!r) errors.push(`${path}: Fn::GetAtt of unknown resource ${id}`)
    else if (!(attribute in r.attributes)) errors.push(`${path}: ${r.cloudFormationType} has no attribute ${attribute}`)
  }
  const checkIntrinsic = (path: string, v: Record<string, unknown>): void => {
    const [fn, arg] = Object.entries(v)[0]!
    if (fn === 'Ref') checkRef(path, String(arg))
    else if (fn === 'Fn::GetAtt') {
      const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/)
      checkGetAtt(path, id!, attribute!)
    } else if (fn === 'Fn::Sub') {
      const text = Array.isArray(arg) ? String(arg[0]) : String(arg)
      for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const [target, attribute] = m[1]!.split(/\.(.*)/)
        if (attribute) checkGetAtt(path, target!, attribute)
        else checkRef(path, target!)
      }
    } else if (!['Fn::Join', 'Fn::Select', 'Fn::Split', 'Fn::If', 'Fn::Equals', 'Fn::ImportValue', 'Fn::GetAZs', 'Fn::Base64', 'Fn::FindInMap'].includes(fn)) {
      errors.push(`${path}: unknown intrinsic function ${fn}`)
    }
  }
  const walkIntrinsics = (path: string, v: unknown): void => {
    if (isIntrinsic(v)) checkIntrinsic(path, v)
    else if (Array.isArray(v)) v.forEach((x, i) => walkIntrinsics(`${path}[${i}]`, x))
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkIntrinsics(`${path}.${k}`, x)
  }

  const checkProperties = (path: string, value: unknown, properties: TypeDefinition['properties'], open = false): void => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      errors.push(`${path}: expected an object`)
      return
    }
    for (const [name, p] of Object.entries(properties)) {
      if (p.required && !(name in value)) errors.push(`${path}: required property ${name} missing`)
    }
    for (const [name, v] of Object.entries(value)) {
      const p = properties[name]
      if (!p) {
        if (!open) errors.push(`${path}: unknown property ${name}`)
        else walkIntrinsics(`${path}.${name}`, v)
        continue
      }
      checkValue(`${path}.${name}`, v, p.type)
    }
  }
  const matches = (path: string, v: unknown, type: PropertyType): string[] => {
    const before = errors.length
    checkValue(path, v, type)
    return errors.splice(before)
  }
  function checkValue(path: string, v: unknown, type: PropertyType): void {
    if (isIntrinsic(v)) {
      checkIntrinsic(path, v)
      return
    }
    switch (type.type) {
      case 'string':
        if (typeof v !== 'string') errors.push(`${path}: expected a string, got ${JSON.stringify(v)}`)
        else if (type.allowedValues && !type.allowedValues.includes(v)) errors.push(`${path}: ${v} not in ${type.allowedValues.join(', ')}`)
        return
      case 'integer':
      case 'number':
        if (typeof v !== 'number' || (type.type === 'integer' && !Number.isInteger(v))) errors.push(`${path}: expected ${type.type}, got ${JSON.stringify(v)}`)
        else if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(v)) errors.push(`${path}: ${v} not in allowed values`)
        return
      case 'boolean':
        if (typeof v !== 'boolean') errors.push(`${path}: expected a boolean`)
        return
      case 'json':
        if (typeof v !== 'object' && typeof v !== 'string') errors.push(`${path}: expected JSON`)
        else walkIntrinsics(path, v)
        return
      case 'date-time':
        if (typeof v !== 'string') errors.push(`${path}: expected a date-time string`)
        return
      case 'null':
        return
      case 'tag':
        checkProperties(path, v, {Key: {type: {type: 'string'}, required: true}, Value: {type: {type: 'string'}, required: true}})
        return
      case 'array':
        if (!Array.isArray(v)) errors.push(`${path}: expected a list`)
        else v.forEach((x, i) => checkValue(`${path}[${i}]`, x, type.element))
        return
      case 'map':
        if (!v || typeof v !== 'object' || Array.isArray(v)) errors.push(`${path}: expected a map`)
        else for (const [k, x] of Object.entries(v)) checkValue(`${path}.${k}`, x, type.element)
        return
      case 'ref':
        checkProperties(path, v, db.get('typeDefinition', type.reference).properties)
        return
      case 'union': {
        const attempts = type.types.map((alternative) => matches(path, v, alternative))
        if (!attempts.some((a) => a.length === 0)) errors.push(...attempts[0]!)
        return
      }
    }
  }

  for (const [id, r] of Object.entries(t.Resources)) {
    const rs = resourceSpecs.get(id)
    if (!rs) continue
    const custom = r.Type === 'AWS::CloudFormation::CustomResource'
    checkProperties(`Resources.${id}.Properties`, r.Properties ?? {}, rs.properties, custom)
    for (const dep of [r.DependsOn ?? []].flat()) if (!(dep in t.Resources)) errors.push(`Resources.${id}.DependsOn: unknown ${dep}`)
  }
  for (const [name, o] of Object.entries(t.Outputs ?? {})) walkIntrinsics(`Outputs.${name}.Value`, o.Value)
  return errors
}
