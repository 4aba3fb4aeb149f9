// GET and POST /register/password: the password registration form (MAS:
// views/register/password.rs) — username, email (unless `password_registration_email_required` is
// false), password twice, the terms checkbox when `branding.tos_uri` is set, and the CAPTCHA
// widget when `captcha.service` is set.
//
// POST reads top to bottom: parse → CSRF → (rate limits go here, before any work) → CAPTCHA (a
// network call, outside any transaction) → policy, availability, password and terms checks, every
// problem shown next to its field with the typed values kept (never the passwords) → hash the
// password (outside any transaction) → one transaction: the registration, its email
// authentication and the job that mails the code → remember the registration in this browser →
// 303 to the next step.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cspWithCaptcha } from '../../../captcha/captcha-csp.ts';
import { captchaWidget, verifyCaptcha } from '../../../captcha/captcha-verifier.ts';
import { PasswordManagerBusyError, type HashedPassword } from '../../../crypto/password-manager.ts';
import { checkPasswordComplexity } from '../../../policy/password-complexity.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { csrfToken } from '../../csrf.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import { pageError, param, safeNext, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import {
  captchaMessage,
  passwordComplexityMessage,
  policyViolationMessage,
} from './policy-messages.ts';
import {
  accountPolicy,
  checkCsrf,
  passwordRegistrationEnabled,
  rememberRegistration,
  requesterOf,
  stepPath,
  tooBusy,
} from './registration-flow.ts';
import { enqueueCodeMail } from './mail-locale.ts';

interface FormValues {
  next: string | null;
  username: string;
  email: string;
}

type FieldErrors = Partial<
  Record<
    'username' | 'email' | 'password' | 'password_confirm' | 'accept_terms' | 'captcha',
    PageMessage
  >
>;

/** Whether an address is already someone's (MAS refuses those at registration too). */
async function emailInUse(
  repos: Pick<Repositories, 'userEmails'>,
  email: string,
): Promise<boolean> {
  return (await repos.userEmails.listByEmail(email)).length > 0;
}

export function registerRegisterPassword(app: FastifyInstance, deps: HumanDeps): void {
  const emailRequired = deps.config.account.password_registration_email_required;
  const termsUrl = deps.config.branding.tos_uri ?? null;
  const captcha = captchaWidget(deps.config.captcha);
  const formPath = `${deps.urls.basePath}register/password`;

  const closed = () =>
    pageError(404, 'register.closed.title', pageMessage('register.closed.password_message'), {
      back: `${deps.urls.basePath}login`,
    });

  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    values: FormValues,
    errors: FieldErrors,
    formError: PageMessage | null,
    status = 200,
  ): FastifyReply {
    if (captcha !== null) {
      const current = reply.getHeader('content-security-policy');
      if (typeof current === 'string') {
        reply.header('content-security-policy', cspWithCaptcha(current, captcha.provider));
      }
    }
    return sendPage(
      reply,
      deps,
      'pages/register-password.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        next: values.next,
        username: values.username,
        email: values.email,
        email_required: emailRequired,
        terms_url: termsUrl,
        captcha:
          captcha === null
            ? null
            : {
                script_url: captcha.provider.scriptUrl,
                widget_class: captcha.provider.widgetClass,
                site_key: captcha.siteKey,
              },
        errors,
        error: formError,
        login_href: `${deps.urls.basePath}login${values.next === null ? '' : `?${new URLSearchParams({ next: values.next }).toString()}`}`,
      },
      status,
    );
  }

  app.get('/register/password', async (request, reply) => {
    if (!passwordRegistrationEnabled(deps)) throw closed();
    const next = safeNext(param(request.query, 'next'));
    return sendForm(request, reply, { next, username: '', email: '' }, {}, null);
  });

  app.post('/register/password', async (request, reply) => {
    // parse
    const body = request.body;
    const values: FormValues = {
      next: safeNext(param(body, 'next')),
      username: (param(body, 'username') ?? '').trim(),
      email: emailRequired ? (param(body, 'email') ?? '').trim() : '',
    };
    const password = param(body, 'password') ?? '';
    const passwordConfirm = param(body, 'password_confirm') ?? '';
    if (!passwordRegistrationEnabled(deps)) throw closed();
    checkCsrf(request, deps, formPath);
    // rate limits, before any work
    await limitOrPage(() => deps.rateLimiter.checkRegistration(request.ip), formPath);

    const requester = requesterOf(request);
    const again = (errors: FieldErrors, formError: PageMessage | null = null) =>
      sendForm(request, reply, values, errors, formError, 400);

    // check: the CAPTCHA first (its answer is single-use, and bots should not probe the policy)
    if (captcha !== null) {
      const outcome = await verifyCaptcha(
        deps.config.captcha,
        param(body, captcha.provider.responseField),
        requester.ipAddress,
      );
      if (!outcome.ok) {
        request.log.info({ reason: outcome.detail }, 'captcha refused');
        return again({ captcha: captchaMessage(outcome) });
      }
    }

    // check: the policy, then what needs the database
    const policy = accountPolicy(deps.config);
    const errors: FieldErrors = {};
    let formError: PageMessage | null = null;
    for (const violation of policy.registrationViolations({
      username: values.username,
      email: emailRequired ? values.email : null,
      requester,
    })) {
      if (violation.field === null) formError ??= policyViolationMessage(violation);
      else errors[violation.field] ??= policyViolationMessage(violation);
    }
    if (emailRequired && values.email === '') {
      errors.email = pageMessage('register.errors.email_required');
    }
    if (errors.username === undefined || errors.email === undefined) {
      const taken = await deps.storage.transaction(async (repos) => ({
        username: errors.username === undefined && (await repos.users.exists(values.username)),
        email:
          emailRequired && errors.email === undefined && (await emailInUse(repos, values.email)),
      }));
      if (taken.username) errors.username = pageMessage('register.errors.username_taken');
      if (taken.email) errors.email = pageMessage('register.errors.email_in_use');
    }
    if (password === '') {
      errors.password = pageMessage('register.errors.password_required');
    } else if (password !== passwordConfirm) {
      errors.password_confirm = pageMessage('policy.passwords_mismatch');
    } else {
      const complexity = await checkPasswordComplexity(
        password,
        deps.config.passwords.minimum_complexity,
        [values.username, values.email, deps.config.branding.service_name ?? ''],
      );
      if (!complexity.ok) {
        errors.password = passwordComplexityMessage(complexity);
      }
    }
    if (termsUrl !== null && param(body, 'accept_terms') !== 'on') {
      errors.accept_terms = pageMessage('register.errors.terms_required');
    }
    if (formError !== null || Object.keys(errors).length > 0) return again(errors, formError);

    // hash outside any transaction
    let hashed: HashedPassword;
    try {
      hashed = await deps.passwords.hash(password);
    } catch (error) {
      if (error instanceof PasswordManagerBusyError) throw tooBusy(formPath);
      throw error;
    }

    // A code is about to be mailed: the email verification limits (MAS applies them here too).
    if (values.email !== '') {
      await limitOrPage(
        () => deps.rateLimiter.checkEmailAuthentication(request.ip, values.email),
        formPath,
      );
    }

    // mutate, schedule and save
    const registration = await deps.storage.transaction(async (repos) => {
      if (await repos.users.exists(values.username)) return null;
      let registration = await repos.userRegistrations.add(deps.rng, deps.clock, {
        username: values.username,
        postAuthAction: values.next,
        ipAddress: requester.ipAddress,
        userAgent: requester.userAgent,
      });
      registration =
        (await repos.userRegistrations.setPassword(registration, hashed.hash, hashed.version)) ??
        registration;
      if (termsUrl !== null) {
        registration =
          (await repos.userRegistrations.setTermsUrl(registration, termsUrl)) ?? registration;
      }
      if (emailRequired) {
        const authentication = await repos.emailAuthentications.addForRegistration(
          deps.rng,
          deps.clock,
          registration,
          values.email,
        );
        registration =
          (await repos.userRegistrations.setEmailAuthentication(registration, authentication)) ??
          registration;
        await enqueueCodeMail(repos.queue, deps, request, authentication);
      }
      return registration;
    });
    if (registration === null) {
      return again({ username: pageMessage('register.errors.username_taken') });
    }

    // respond
    rememberRegistration(request, reply, deps, registration);
    return reply
      .header('cache-control', 'no-store')
      .redirect(stepPath(deps, registration, 'finish'), 303);
  });
}
