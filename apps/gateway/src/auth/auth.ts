import {
  Inject,
  Injectable,
  SetMetadata,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import {
  verifyAccessToken,
  type AccessVerifier,
  type Principal,
  type Role,
} from '@app/access-token';
import { AppError } from '../common/errors';
import { ACCESS_VERIFIER, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';

const ROLES_KEY = 'roles';
const PUBLIC_KEY = 'public';

/** Who may call a handler. Handlers without it (and not @Public) are refused. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
export const Public = () => SetMetadata(PUBLIC_KEY, true);

type AuthedRequest = Request & { principal?: Principal };

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => {
    const p = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!p) throw new AppError('UNAUTHENTICATED', 'a bearer token is required');
    return p;
  },
);

/**
 * Bearer JWT on every endpoint but the public ones. 401 when the token is missing or bad,
 * lives longer than ACCESS_TOKEN_MAX_AGE_SECONDS or lacks `iat`/`exp`; 403 for a wrong role,
 * another rider's id, or another station. Messages never say whether a rider exists.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACCESS_VERIFIER) private readonly verifier: AccessVerifier,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer '))
      throw new AppError('UNAUTHENTICATED', 'a bearer token is required');
    const verified = await verifyAccessToken(this.verifier, header.slice(7).trim(), {
      maxAgeSeconds: this.config.accessTokenMaxAgeSeconds,
    });
    if (!verified.ok) throw new AppError('UNAUTHENTICATED', verified.why);
    const p = verified.principal;
    req.principal = p;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!roles.includes(p.role))
      throw new AppError('FORBIDDEN', `this needs the ${roles.join(' or ') || 'an unknown'} role`);
    const params = req.params as Record<string, string | undefined>;
    if (p.role === 'rider' && params.riderId !== undefined && params.riderId !== p.sub) {
      throw new AppError('FORBIDDEN', 'riders may act only on their own account');
    }
    if (p.role === 'staff') {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const query = req.query as Record<string, unknown>;
      for (const station of [params.stationId, body.stationId, query.stationId]) {
        if (station !== undefined && station !== p.station) {
          throw new AppError('FORBIDDEN', `staff of ${p.station} may not act at another station`);
        }
      }
    }
    return true;
  }
}

/** Rate limits count per caller (token subject), falling back to the address. */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const p = (req as unknown as AuthedRequest).principal;
    return Promise.resolve(p ? `${p.role}:${p.sub}` : String((req as unknown as Request).ip));
  }
}
