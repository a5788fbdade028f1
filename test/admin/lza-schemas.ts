/**
 * Strict JSON schemas (draft-07) for the parts of Landing Zone Accelerator's configuration files that
 * `ssmx admin render --lza` writes, as ajv validators. Written from LZA's documented configuration types
 * (ICustomizationsConfig, IOrganizationConfig, IIamConfig and what they reference, LZA v1.15), not copied from
 * LZA: like LZA's own schemas every object has `additionalProperties: false`, so a key LZA does not know fails here
 * too. Only the branches ssmx writes into are described; elsewhere a root accepts LZA's other top-level keys as any
 * value. `.ci/run` additionally checks the rendered files against LZA's published schemas when they are at hand
 * (scripts/check-lza-schemas.js).
 */
import {Ajv} from 'ajv'

const nonEmpty = {type: 'string', minLength: 1}
const strings = {type: 'array', items: {type: 'string'}}
const nonEmptyStrings = {type: 'array', items: nonEmpty}
/** LZA allows YAML anchors (keys starting with ".") at the root of each file. */
const anchors = {'^\\.': {}}

/** IDeploymentTargets: accounts and OUs by name. */
const deploymentTargets = {
  type: 'object',
  additionalProperties: false,
  properties: {accounts: strings, excludedAccounts: strings, excludedRegions: strings, organizationalUnits: strings},
}

/** customizations-config.yaml: ICustomizationsConfig → ICustomizationConfig → ICloudFormationStackSet[]. */
export const customizationsConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  patternProperties: anchors,
  properties: {
    applications: {type: 'array'},
    createCfnStackSetExecutionRole: {type: 'boolean'},
    firewalls: {type: 'object'},
    customizations: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cloudFormationStacks: {type: 'array'},
        serviceCatalogPortfolios: {type: 'array'},
        cloudFormationStackSets: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'template', 'regions', 'deploymentTargets'],
            properties: {
              name: nonEmpty,
              description: nonEmpty,
              template: nonEmpty,
              capabilities: {type: 'array', items: {type: 'string', enum: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']}},
              deploymentTargets,
              regions: strings,
              parameters: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name', 'value'],
                  properties: {name: {type: 'string'}, value: {type: 'string'}},
                },
              },
              dependsOn: strings,
              administrationRoleArn: {type: 'string'},
              executionRoleName: {type: 'string'},
              operationPreferences: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  failureToleranceCount: {type: 'number'},
                  failureTolerancePercentage: {type: 'number'},
                  maxConcurrentCount: {type: 'number'},
                  maxConcurrentPercentage: {type: 'number'},
                  regionConcurrencyType: {type: 'string'},
                  regionOrder: strings,
                },
              },
            },
          },
        },
      },
    },
  },
}

/** organization-config.yaml: IOrganizationConfig → IServiceControlPolicyConfig[]. */
export const organizationConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  patternProperties: anchors,
  required: ['enable', 'organizationalUnits', 'serviceControlPolicies', 'taggingPolicies', 'backupPolicies'],
  properties: {
    enable: {type: 'boolean'},
    organizationalUnits: {type: 'array'},
    organizationalUnitIds: {type: 'array'},
    quarantineNewAccounts: {type: 'object'},
    taggingPolicies: {type: 'array'},
    backupPolicies: {type: 'array'},
    chatbotPolicies: {type: 'array'},
    declarativePolicies: {type: 'array'},
    resourceControlPolicies: {type: 'array'},
    serviceControlPolicies: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'description', 'policy', 'type', 'deploymentTargets'],
        properties: {
          name: nonEmpty,
          description: nonEmpty,
          policy: nonEmpty,
          type: {type: 'string', enum: ['awsManaged', 'customerManaged']},
          strategy: {type: 'string', enum: ['deny-list', 'allow-list']},
          deploymentTargets,
        },
      },
    },
  },
}

/** iam-config.yaml: IIamConfig → IIdentityCenterConfig → IIdentityCenterPermissionSetConfig[]. */
export const iamConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  patternProperties: anchors,
  properties: {
    homeRegion: {type: 'string'},
    providers: {type: 'array'},
    policySets: {type: 'array'},
    roleSets: {type: 'array'},
    groupSets: {type: 'array'},
    userSets: {type: 'array'},
    managedActiveDirectories: {type: 'array'},
    identityCenter: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: nonEmpty,
        delegatedAdminAccount: nonEmpty,
        identityCenterAssignments: {type: 'array'},
        identityCenterPermissionSets: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: nonEmpty,
              sessionDuration: {type: 'number'},
              policies: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  acceleratorManaged: nonEmptyStrings,
                  awsManaged: nonEmptyStrings,
                  customerManaged: nonEmptyStrings,
                  inlinePolicy: nonEmpty,
                  permissionsBoundary: {
                    type: 'object',
                    additionalProperties: false,
                    properties: {
                      awsManagedPolicyName: nonEmpty,
                      customerManagedPolicy: {type: 'object', additionalProperties: false, required: ['name'], properties: {name: nonEmpty, path: nonEmpty}},
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
}

export type SchemaFile = 'customizations-config' | 'organization-config' | 'iam-config'
export const SCHEMAS: Record<SchemaFile, object> = {
  'customizations-config': customizationsConfigSchema,
  'organization-config': organizationConfigSchema,
  'iam-config': iamConfigSchema,
}

const compiled = new Map<SchemaFile, ReturnType<Ajv['compile']>>()

/** A validator for one LZA file: the list of errors, empty when the document is valid. */
export function lzaValidator(file: SchemaFile) {
  let validate = compiled.get(file)
  if (!validate) {
    validate = new Ajv({allErrors: true, strict: true}).compile(SCHEMAS[file])
    compiled.set(file, validate)
  }
  return (document: unknown): string[] =>
    validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
}
