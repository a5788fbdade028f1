/**
 * The contract between what ssmx renders for the admin side (template, SCP, parameters) and the
 * commands that deploy, check, render or remove it.
 */
export interface Parameter {
  ParameterKey: string
  ParameterValue: string
}

export interface AdminArtifacts {
  /** the StackSet template, YAML, deterministic for a given configuration and ssmx version */
  templateBody: string
  /** identifies the handler + template shape; written into the template (Metadata and an Output) so status can compare */
  templateVersion: string
  /** the stack set's parameter values from the configuration's defaults */
  parameters: Parameter[]
  /** per-OU parameter overrides (stack-instance ParameterOverrides) from admin.overrides */
  ouOverrides: Array<{organizationalUnitId: string; parameters: Parameter[]}>
  /** the SCP as minified JSON (already checked to be <= 5,120 characters) */
  scpContent: string
  scpName: string
  scpDescription: string
  /** the per-permission-set session documents the template manages (sorted), besides SSM-SessionManagerRunShell */
  documents: string[]
  /** the custom resource's execution role name pattern, e.g. ssmx-runas-${AWS::Region}; IAM role names per region */
  functionRoleName: (region: string) => string
}
