import type { Request, RequestHandler, Response, Router } from 'express';
import {
  ExamsOfficerProtectedError,
  KnexAccountRepository,
  KnexAuditLog,
  centreErrorMessage,
  transaction,
  type CentreActor,
  type CentreClaim,
  type CentreMember,
  type CentreService,
} from '@porth/identity-core';
import { endProviderSessions, sendBackchannelLogouts } from '../../../oidc/backchannel.js';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { formFields } from '../../../sign-in/router.js';
import {
  formBody,
  formErrors,
  languageOf,
  renderApp,
  requestContext,
  translate,
  type FieldProblem,
} from '../../common.js';
import { KnexRpSessions } from '../../knex-rp-sessions.js';
import type { RelyingParty } from '../../relying-party.js';
import {
  MAX_SEARCH_LENGTH,
  chosenRole,
  defaultsOf,
  formatDate,
  listField,
  permissionChoices,
  withheldPermissions,
  type ChosenRole,
} from './forms.js';
import {
  PORTAL,
  livePersonOf,
  managedCentreOf,
  permissionView,
  requireCentreManager,
  requireLivePerson,
  roleLabel,
  usersPath,
} from './live.js';
import { refusalOf, type Refusal } from './refusals.js';

const USERS = `${PORTAL}/centres/:centre/users`;
const MEMBER = `${USERS}/:member`;

/** The notices Manage Users shows after a change (`?done=`). */
const DONE_NOTICES = ['invited', 'access_changed', 'deleted', 'resent'] as const;

function actorOf(req: Request, res: Response): CentreActor {
  return { accountId: livePersonOf(res).account.id, ...requestContext(req) };
}

function fullName(member: Pick<CentreMember, 'givenName' | 'familyName' | 'email'>): string {
  return [member.givenName, member.familyName].filter(Boolean).join(' ') || member.email;
}

function memberPath(centreNumber: string, memberId: string): string {
  return `${usersPath(centreNumber)}/${encodeURIComponent(memberId)}`;
}

/** What one user looks like on Manage Users, Manage Access and Delete User. */
function memberView(member: CentreMember, viewer: CentreClaim, lang: 'en' | 'cy') {
  const path = memberPath(member.centreNumber, member.id);
  const invited = member.status === 'invited' || member.status === 'invitation_expired';
  // An Admin cannot change the Exams Officer's access; the Exams Officer can change their own.
  const canManageAccess = member.role !== 'exams_officer' || viewer.role === 'exams_officer';
  const canDelete = member.role !== 'exams_officer';
  return {
    id: member.id,
    name: fullName(member),
    email: member.email,
    role: member.role,
    roleLabel: roleLabel(member.role, lang),
    isExamsOfficer: member.role === 'exams_officer',
    permissions: member.permissions.map((p) => permissionView(p, lang).label),
    accessText: member.permissions.map((p) => permissionView(p, lang).label).join(', '),
    statusKey: `centres.status.${member.status}`,
    expires:
      invited && member.invitationExpiresAt ? formatDate(member.invitationExpiresAt, lang) : null,
    version: member.version,
    canManageAccess,
    canDelete,
    canResend: invited,
    hasActions: canManageAccess || canDelete || invited,
    accessUrl: `${path}/access`,
    deleteUrl: `${path}/delete`,
    resendUrl: `${path}/resend`,
  };
}

/** The invite form's values. */
interface InviteForm {
  readonly given_name: string;
  readonly family_name: string;
  readonly email: string;
  readonly locale: string;
  readonly role: ChosenRole;
  readonly permissions: readonly string[];
}

/**
 * Manage Users (with its search box and a menu per user), Invite User, Manage Access, Delete
 * User and "send the invitation again", for the Exams Officer and Admins of a centre. Every
 * page checks, live from the database, that the person manages the centre in the address; the
 * library checks again inside each change's transaction.
 */
export function manageUsersRoutes(
  router: Router,
  deps: RouteDependencies,
  rp: RelyingParty,
  centres: CentreService,
): void {
  const signedIn = requireLivePerson(deps, rp);
  const manager = requireCentreManager(deps, rp);
  const guard: RequestHandler[] = [signedIn, manager, deps.csrf.token];
  const posted: RequestHandler[] = [
    formBody,
    deps.csrf.protect,
    signedIn,
    manager,
    deps.csrf.token,
  ];

  const forbidden = (res: Response, message: string) =>
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/forbidden',
      { titleKey: 'centres.forbidden.title', message },
      403,
    );

  const notFound = (res: Response, message: string) =>
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/not-found',
      {
        titleKey: 'centres.not_found.title',
        message,
        usersUrl: usersPath(managedCentreOf(res).number),
      },
      404,
    );

  /** Answers a refusal that is not a form problem; false when the caller must show its form. */
  const answered = (res: Response, refusal: Refusal | null, err: unknown): boolean => {
    if (!refusal) throw err;
    if (refusal.kind === 'forbidden') {
      forbidden(res, centreErrorMessage(refusal.error)?.[languageOf(res)] ?? '');
      return true;
    }
    if (refusal.kind === 'not_found') {
      notFound(res, refusal.message);
      return true;
    }
    return false;
  };

  /**
   * The member with this id at the managed centre, or null (after answering 404); also notes how
   * many Admins the centre has, for the account-type hint.
   */
  const findMember = async (req: Request, res: Response): Promise<CentreMember | null> => {
    const centre = managedCentreOf(res);
    const members = await centres.listMembers(actorOf(req, res), centre.number);
    const member = members.find((m) => m.id === String(req.params.member));
    if (!member) {
      notFound(res, translate(res, 'centres.not_found.body'));
      return null;
    }
    res.locals.adminCount = members.filter((m) => m.role === 'admin').length;
    return member;
  };

  // Manage Users -------------------------------------------------------------------------------

  const showUsers = async (
    req: Request,
    res: Response,
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    const search =
      typeof req.query.search === 'string' ? req.query.search.slice(0, MAX_SEARCH_LENGTH) : '';
    const members = await centres.listMembers(actorOf(req, res), centre.number, { search });
    const done = DONE_NOTICES.find((d) => d === req.query.done);
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/users',
      {
        titleKey: 'centres.users.title',
        nav: 'users',
        centre,
        search,
        members: members.map((m) => memberView(m, centre, lang)),
        count: members.length,
        usersUrl: usersPath(centre.number),
        inviteUrl: `${usersPath(centre.number)}/invite`,
        notice: done ? translate(res, `centres.users.done_${done}`) : null,
        ...formErrors(problems),
      },
      status,
    );
  };

  router.get(USERS, ...guard, async (req, res) => {
    try {
      await showUsers(req, res);
    } catch (err) {
      answered(res, refusalOf(err, languageOf(res)), err);
    }
  });

  // Invite User --------------------------------------------------------------------------------

  const showInvite = async (
    req: Request,
    res: Response,
    form: InviteForm,
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    const members = await centres.listMembers(actorOf(req, res), centre.number);
    const admins = members.filter((m) => m.role === 'admin').length;
    const invitePath = `${usersPath(centre.number)}/invite`;
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/invite',
      {
        titleKey: 'centres.invite.title',
        nav: 'users',
        centre,
        form,
        action: invitePath,
        roleLabel: roleLabel(form.role, lang),
        otherRole: form.role === 'user' ? 'admin' : 'user',
        otherRoleLabel: roleLabel(form.role === 'user' ? 'admin' : 'user', lang),
        otherRoleUrl: `${invitePath}?type=${form.role === 'user' ? 'admin' : 'user'}`,
        permissions: permissionChoices(form.role, form.permissions, lang),
        withheld: withheldPermissions(form.role, lang),
        localeEn: form.locale === 'en',
        localeCy: form.locale === 'cy',
        admins,
        usersUrl: usersPath(centre.number),
        ...formErrors(problems),
      },
      status,
    );
  };

  router.get(`${USERS}/invite`, ...guard, async (req, res) => {
    const role = chosenRole(req.query.type, 'user');
    try {
      await showInvite(req, res, {
        given_name: '',
        family_name: '',
        email: '',
        locale: languageOf(res),
        role,
        permissions: defaultsOf(role),
      });
    } catch (err) {
      answered(res, refusalOf(err, languageOf(res)), err);
    }
  });

  router.post(`${USERS}/invite`, ...posted, async (req, res) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    const f = formFields(req.body);
    const permissions = listField(req.body, 'permissions');
    const form: InviteForm = {
      given_name: f.given_name ?? '',
      family_name: f.family_name ?? '',
      email: f.email ?? '',
      locale: f.locale ?? '',
      role: chosenRole(f.role, 'user'),
      permissions,
    };
    try {
      await centres.inviteUser(actorOf(req, res), centre.number, {
        givenName: form.given_name,
        familyName: form.family_name,
        email: form.email,
        locale: form.locale,
        role: f.role ?? '',
        permissions,
      });
    } catch (err) {
      const refusal = refusalOf(err, lang);
      if (answered(res, refusal, err) || !refusal) return;
      if (refusal.kind === 'form') {
        await showInvite(req, res, form, refusal.problems, refusal.status);
        return;
      }
      throw err;
    }
    res.redirect(303, `${usersPath(centre.number)}?done=invited`);
  });

  // Manage Access ------------------------------------------------------------------------------

  const showAccess = async (
    res: Response,
    member: CentreMember,
    selected: ChosenRole | null,
    checked: readonly string[] | null,
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    const view = memberView(member, centre, lang);
    // The Exams Officer keeps the role; anyone else may be an Admin or a User.
    const role = member.role === 'exams_officer' ? member.role : (selected ?? member.role);
    const ticks = checked ?? (role === member.role ? member.permissions : defaultsOf(role));
    const otherRole = role === 'admin' ? 'user' : 'admin';
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/access',
      {
        titleKey: 'centres.access.title',
        nav: 'users',
        centre,
        member: view,
        role,
        roleLabel: roleLabel(role, lang),
        roleChanged: role !== member.role,
        otherRole: member.role === 'exams_officer' ? null : otherRole,
        otherRoleLabel: roleLabel(otherRole, lang),
        otherRoleUrl: `${view.accessUrl}?type=${otherRole}`,
        permissions: permissionChoices(role, ticks, lang),
        withheld: withheldPermissions(role, lang),
        admins: Number(res.locals.adminCount ?? 0),
        usersUrl: usersPath(centre.number),
        ...formErrors(problems),
      },
      status,
    );
  };

  router.get(`${MEMBER}/access`, ...guard, async (req, res) => {
    try {
      const member = await findMember(req, res);
      if (!member) return;
      if (member.role === 'exams_officer' && managedCentreOf(res).role !== 'exams_officer') {
        forbidden(res, translate(res, 'centres.access.exams_officer_only'));
        return;
      }
      const type = req.query.type === undefined ? null : chosenRole(req.query.type, 'user');
      await showAccess(res, member, type, null);
    } catch (err) {
      answered(res, refusalOf(err, languageOf(res)), err);
    }
  });

  router.post(`${MEMBER}/access`, ...posted, async (req, res) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    const f = formFields(req.body);
    const permissions = listField(req.body, 'permissions');
    const version = Number(f.version);
    const memberId = String(req.params.member);
    try {
      await centres.changeAccess(actorOf(req, res), centre.number, memberId, {
        ...(f.role !== undefined ? { role: f.role } : {}),
        permissions,
        ...(Number.isSafeInteger(version) ? { expectedVersion: version } : {}),
      });
    } catch (err) {
      const refusal = refusalOf(err, lang);
      if (answered(res, refusal, err) || !refusal) return;
      const member = await findMember(req, res);
      if (!member) return;
      if (refusal.kind === 'stale') {
        await showAccess(
          res,
          member,
          null,
          null,
          [{ field: 'permissions', message: translate(res, 'centres.access.stale') }],
          409,
        );
        return;
      }
      if (refusal.kind === 'form') {
        const selected = f.role === 'admin' || f.role === 'user' ? f.role : null;
        await showAccess(res, member, selected, permissions, refusal.problems, refusal.status);
        return;
      }
      throw err;
    }
    res.redirect(303, `${usersPath(centre.number)}?done=access_changed`);
  });

  // Delete User --------------------------------------------------------------------------------

  const showDelete = (
    res: Response,
    member: CentreMember,
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const centre = managedCentreOf(res);
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/delete',
      {
        titleKey: 'centres.delete.title',
        nav: 'users',
        centre,
        member: memberView(member, centre, languageOf(res)),
        invited: member.status === 'invited' || member.status === 'invitation_expired',
        usersUrl: usersPath(centre.number),
        ...formErrors(problems),
      },
      status,
    );
  };

  const examsOfficerProtected = (res: Response) =>
    forbidden(
      res,
      centreErrorMessage(new ExamsOfficerProtectedError('remove'))?.[languageOf(res)] ?? '',
    );

  router.get(`${MEMBER}/delete`, ...guard, async (req, res) => {
    try {
      const member = await findMember(req, res);
      if (!member) return;
      if (member.role === 'exams_officer') {
        examsOfficerProtected(res);
        return;
      }
      showDelete(res, member);
    } catch (err) {
      answered(res, refusalOf(err, languageOf(res)), err);
    }
  });

  router.post(`${MEMBER}/delete`, ...posted, async (req, res) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    const actor = actorOf(req, res);
    const version = Number(formFields(req.body).version);
    let member: CentreMember | null;
    try {
      member = await findMember(req, res);
      if (!member) return;
      if (member.role === 'exams_officer') {
        examsOfficerProtected(res);
        return;
      }
      await centres.removeMember(actor, centre.number, member.id, {
        ...(Number.isSafeInteger(version) ? { expectedVersion: version } : {}),
      });
    } catch (err) {
      const refusal = refusalOf(err, lang);
      if (answered(res, refusal, err) || !refusal) return;
      if (refusal.kind === 'stale') {
        const fresh = await findMember(req, res);
        if (!fresh) return;
        showDelete(
          res,
          fresh,
          [{ field: 'confirm', message: translate(res, 'centres.delete.stale') }],
          409,
        );
        return;
      }
      throw err;
    }
    if (member.accountId) await endSessionsOfDeletedAccount(deps, req, member.accountId, actor);
    // Someone who deleted themselves has nothing left to manage here.
    if (member.accountId === actor.accountId) {
      res.redirect(303, PORTAL);
      return;
    }
    res.redirect(303, `${usersPath(centre.number)}?done=deleted`);
  });

  // Send the invitation again -------------------------------------------------------------------

  router.post(`${MEMBER}/resend`, ...posted, async (req, res) => {
    const centre = managedCentreOf(res);
    const lang = languageOf(res);
    try {
      await centres.resendInvitation(actorOf(req, res), centre.number, String(req.params.member));
    } catch (err) {
      const refusal = refusalOf(err, lang);
      if (answered(res, refusal, err) || !refusal) return;
      if (refusal.kind === 'form' || refusal.kind === 'stale') {
        const problems =
          refusal.kind === 'form'
            ? refusal.problems.map((p) => ({ ...p, field: 'search' }))
            : [{ field: 'search', message: translate(res, 'centres.access.stale') }];
        await showUsers(req, res, problems, refusal.kind === 'form' ? refusal.status : 409);
        return;
      }
      throw err;
    }
    res.redirect(303, `${usersPath(centre.number)}?done=resent`);
  });
}

/**
 * After a Delete User: an account the library deleted (it had no other centre) loses every
 * session at once — the provider's sessions and grants and every application's sessions — so
 * its next page asks it to sign in. An account still at another centre keeps its sessions; its
 * pages stop showing this centre at the next view, because every page reads access live.
 */
async function endSessionsOfDeletedAccount(
  deps: RouteDependencies,
  req: Request,
  accountId: string,
  actor: CentreActor,
): Promise<void> {
  const { db, clock, random } = deps.services;
  const account = await new KnexAccountRepository(db, clock, random).findById(accountId);
  if (account && account.status !== 'deleted') return;
  const signedIn = await transaction(db, async (trx) => {
    const provider = await endProviderSessions(trx, accountId);
    const applications = await new KnexRpSessions(trx, clock).deleteAllOfAccount(accountId);
    await new KnexAuditLog(trx, clock).append({
      type: 'account.sessions_ended',
      outcome: 'success',
      accountId,
      actorId: actor.accountId,
      ...requestContext(req),
      details: {
        reason: 'removed_from_last_centre',
        providerRecords: provider.records,
        applicationSessions: applications,
      },
    });
    return provider.applications;
  });
  await sendBackchannelLogouts(() => deps.provider(), accountId, signedIn);
}
