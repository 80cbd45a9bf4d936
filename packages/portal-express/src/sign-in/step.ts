import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Flow, RequestContext } from '@porth/identity-core';
import type { PortalConfig } from '../config.js';
import type { PortalServices } from '../services.js';
import type { RouteDependencies } from '../routes/route-dependencies.js';
import type { SignInContext, SignInState } from './states.js';

/** What provider.interactionDetails returns. */
export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The result the sign-in hands back to the provider. */
export interface LoginResult {
  readonly accountId: string;
  readonly acr: string;
  readonly amr: readonly string[];
  readonly remember: boolean;
}

/** A problem with one field of a form, shown in the error summary and beside the field. */
export interface FieldError {
  /** The id of the input it belongs to (the summary links to it). */
  readonly field: string;
  readonly message: string;
}

/** Everything a sign-in step needs to answer one request. */
export interface StepRequest {
  readonly req: Request;
  readonly res: Response;
  readonly uid: string;
  readonly flow: Flow<SignInState, SignInContext>;
  readonly details: InteractionDetails;
  readonly config: PortalConfig;
  readonly services: PortalServices;
  readonly provider: Provider;
  /** The posted form: every field as one trimmed-of-nothing string (arrays give their first value). */
  readonly form: Readonly<Record<string, string>>;
  /** Where the request came from, for audit events. */
  readonly context: RequestContext;
  /** The request's language. */
  readonly lang: 'en' | 'cy';
  /** Translates a message key in the request's language. */
  t(key: string, options?: Record<string, unknown>): string;
  /** Renders a page of this step (status 200, or 4xx with errors). */
  render(view: string, data?: Record<string, unknown>, status?: number): void;
  /** Moves the flow to `state` (the transition table decides if it may), then shows that state's page. */
  moveTo(state: SignInState, context?: Partial<SignInContext>): Promise<void>;
  /** Saves new facts without changing state, then shows the page again. */
  update(context: Partial<SignInContext>): Promise<void>;
  /** Ends the sign-in and hands the account back to the provider. */
  finish(result: LoginResult): Promise<void>;
}

/** One page of the sign-in: what it shows, and what its form does. */
export interface Step {
  readonly state: SignInState;
  /** Answers GET /interaction/:uid while the flow is in this state. */
  show(s: StepRequest): Promise<void>;
  /** Answers POST /interaction/:uid/<state>; only reached while the flow is in this state. */
  submit(s: StepRequest): Promise<void>;
}

/** Everything the sign-in routes need from the portal. */
export type SignInDependencies = RouteDependencies;
