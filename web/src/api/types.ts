// Names for the API's shapes, taken from the types openapi-typescript
// generates from platform/openapi.json at build time: a change to the
// contract that the console depends on fails `tsc`, not a page in use.
import type { components } from './schema';

type S = components['schemas'];

export type Role = S['Role'];
export type Principal = S['Principal'];
export type Upload = S['Upload'];
export type UploadIssue = S['UploadIssue'];
export type UploadKind = S['UploadKind'];
export type UploadTicket = S['UploadTicket'];
export type UploadRequest = S['UploadRequest'];
export type Property = S['Property'];
export type Metrics = S['Metrics'];
export type UnitTypeMetrics = S['UnitTypeMetrics'];
export type Summary = S['Summary'];
export type Expirations = S['Expirations'];
export type ExpirationMonth = S['ExpirationMonth'];
export type Trend = S['Trend'];
export type TrendMonth = S['TrendMonth'];
export type Competition = S['Competition'];
export type CompetitionUnitType = S['CompetitionUnitType'];
export type Client = S['Client'];
export type NewClient = S['NewClient'];
export type User = S['User'];
export type NewUser = S['NewUser'];
export type UserPatch = S['UserPatch'];
export type AllClients = S['AllClients'];
export type Usage = S['Usage'];
export type ClientBillingUnits = S['ClientBillingUnits'];
export type BillingRun = S['BillingRun'];
export type AuditEntry = S['AuditEntry'];

export type SummaryProperty = S['SummaryProperty'];
export type UsageClient = S['UsageClient'];
export type MonthUnits = S['MonthUnits'];
export type UsageReport = S['UsageReport'];

/** An invitation the platform answers with when it creates a user or a client. */
export interface Invitation {
  email: string;
  url: string;
  expires_at: string;
}
