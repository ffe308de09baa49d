{ save_member: saves the API spec's example member through jdy_member.pas, reads it back,
  and shows the error a refused save raises.

    save_member CONFIG_FILE

  CONFIG_FILE is a UTF-8 JSON file with the client configuration (see the library's README),
  e.g. the "config" object `jdy-member sandbox` prints. Credentials belong in such a file,
  never in source code. Delphi 7, Delphi 2009+ and Free Pascal / Lazarus compile this file
  as it is; run-tests.sh runs it against the sandbox. }
program save_member;

{$IFDEF MSWINDOWS}
  {$APPTYPE CONSOLE}
{$ENDIF}
{$IFDEF FPC}
  {$IFDEF UNICODE}
    {$WARN 4104 OFF} { FPC 3.2's RTL is AnsiString: every call converts, and says so }
    {$WARN 4105 OFF}
  {$ENDIF}
{$ENDIF}

uses
  {$IFDEF FPC}{$IFDEF UNIX}cthreads, cwstring,{$ENDIF}{$ENDIF}
  Classes, SysUtils, jdy_member;

const
  { The member of the API spec (examples/seed-member.json). Its Chinese text is written as
    JSON escapes, so that this file is ASCII and means the same to every compiler: the name
    "\u4f1a\u5458A" (hui yuan A) and the remark "\u5907\u6ce8". In your own code, a string
    variable holding the name works as well: see JdyJsonQuote below. }
  SeedMember =
    '{"address":"410","birthday":"2022-08-01","custom_no":"1","customer":"001",' +
    '"detail_address":"XXX","enable":"1","end_date":"2022-01-01","is_delete":"0",' +
    '"join_way":"1","label":null,"level":"1","mbcard_id":"1","mobile":"13333333333",' +
    '"name":"\u4f1a\u5458A","period":"1","referrere_mp":"1","remark":"\u5907\u6ce8",' +
    '"sale_shop":"1","sex_group":"1","shop":"850693217107061760","source":"1",' +
    '"start_date":"2022-01-01"}';

{ The file's text as a string of this program (the file is UTF-8; a BOM is skipped). }
function ReadUtf8File(const Path: string): string;
var
  F: TFileStream;
  Bytes: TJdyUtf8;
begin
  F := TFileStream.Create(Path, fmOpenRead or fmShareDenyNone);
  try
    Bytes := '';
    SetLength(Bytes, F.Size);
    if F.Size > 0 then
      F.ReadBuffer(Bytes[1], F.Size);
  finally
    F.Free;
  end;
  if (Length(Bytes) >= 3) and (Ord(Bytes[1]) = $EF) and (Ord(Bytes[2]) = $BB) and
    (Ord(Bytes[3]) = $BF) then
    Delete(Bytes, 1, 3);
  Result := JdyFromUtf8(Bytes);
end;

procedure PrintError(E: EJdyError);
var
  I: Integer;
begin
  { Kind says what to do; ErrCode and Description are Kingdee's own. }
  Write('failed (', E.Kind);
  if E.HasErrCode then
    Write(', errcode ', E.ErrCode);
  if E.Retryable then
    Write(', try again later');
  Writeln('): ', E.ErrorMessage);
  if E.Description <> '' then
    Writeln('  description: ', E.Description);
  for I := 0 to E.FieldCount - 1 do
    Writeln('  ', E.Fields[I].Field, ': ', E.Fields[I].Message);
  if E.OutcomeUnknown then
    Writeln('  the save may have been stored: look the member up before saving it again');
end;

var
  Client: TJdyClient;
  Saved, Member: string;
  Recovered: Boolean;
begin
  if ParamCount <> 1 then
  begin
    Writeln('usage: save_member CONFIG_FILE');
    Halt(2);
  end;
  Writeln('jdy-member ', TJdyClient.Version);
  try
    { One client per process, shared by every thread; freed once, when the till closes. }
    Client := TJdyClient.Create(ReadUtf8File(ParamStr(1)));
  except
    on E: EJdyError do
    begin
      PrintError(E);
      Halt(1);
    end;
  end;
  try
    try
      { Blocks for at most deadline_ms: in a GUI, call it from a worker thread. }
      Saved := Client.SaveMember(SeedMember, Recovered);
      Writeln('saved: ', Saved);
      if Recovered then
        Writeln('  (its answer was lost; the member was found stored as sent)');

      Member := Client.GetMember('{"mobile":"13333333333"}');
      if Member = '' then
        Writeln('read back: no such member')
      else
        Writeln('read back: ', Member);
    except
      on E: EJdyError do
      begin
        PrintError(E);
        ExitCode := 1;
      end;
    end;

    { The same mobile once more: a gateway that refuses duplicates raises EJdyError. }
    try
      Client.SaveMember(SeedMember);
      Writeln('saved again: this gateway updates a member that exists');
    except
      on E: EJdyError do
      begin
        Writeln('refused: kind ', E.Kind, ', errcode ', E.ErrCode);
        Writeln('  description: ', E.Description);
      end;
    end;

    { Building a member from program strings: JdyJsonQuote escapes them for JSON. }
    try
      TJdyClient.ValidateMember('{"mobile":"13333333333","name":' + JdyJsonQuote('') + '}');
    except
      on E: EJdyError do
        Writeln('an empty name is refused offline: ', E.FieldNames);
    end;
  finally
    Client.Free;
  end;
end.
