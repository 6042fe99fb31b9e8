import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ErrorDto } from '../common/dto';
import { CardNoPipe } from '../common/id-number.pipe';
import {
  AuthorizeQueryDto,
  CardHolderDto,
  SignInFormDto,
  TokenRequestDto,
  TokenResponseDto,
} from './sign-in.dto';
import { signInPage } from './sign-in.page';
import { SIGN_IN_FAILURE_WINDOW_MS, SignInService } from './sign-in.service';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; form-action 'self' http: https:; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** The person's side: a page in their own browser, outside /v1 (no API key). */
@ApiTags('sign-in')
@Controller('oauth/authorize')
export class SignInPageController {
  constructor(private readonly signIn: SignInService) {}

  @Get()
  @ApiExcludeEndpoint()
  page(@Query() q: AuthorizeQueryDto, @Res() res: Response): void {
    this.signIn.check(q);
    res.status(200).set(PAGE_HEADERS).send(signInPage(q, null));
  }

  @Post()
  @ApiExcludeEndpoint()
  submit(@Body() form: SignInFormDto, @Res() res: Response): void {
    const outcome = this.signIn.signIn(form);
    if (outcome.kind === 'refused') {
      res
        .status(401)
        .set(PAGE_HEADERS)
        .send(signInPage(form, '身份证号或密码错误 Wrong ID number or passcode'));
      return;
    }
    if (outcome.kind === 'locked') {
      res
        .status(429)
        .set({ ...PAGE_HEADERS, 'retry-after': String(SIGN_IN_FAILURE_WINDOW_MS / 1000) })
        .send(signInPage(form, '尝试次数过多，请稍后再试 Too many attempts: try again later'));
      return;
    }
    res.redirect(303, outcome.location);
  }
}

/** The grantee's side: server to server, with the API key. */
@ApiTags('sign-in')
@ApiSecurity('api-key')
@Controller('v1')
export class GrantsController {
  constructor(private readonly signIn: SignInService) {}

  @Post('oauth/token')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponseDto })
  token(@Body() dto: TokenRequestDto): TokenResponseDto {
    return this.signIn.exchange(dto);
  }

  @Get('real-name-cards/:cardNo')
  @ApiOkResponse({ type: CardHolderDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'NOT_FOUND: not a real-name card' })
  cardHolder(@Param('cardNo', CardNoPipe) cardNo: string): CardHolderDto {
    return this.signIn.cardHolder(cardNo);
  }
}
