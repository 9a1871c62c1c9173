/**
 * The SPOUTLIBRARY interface of SpoutLibrary.dll (Spout 2.007.017, leadedge/Spout2 SPOUTSDK/SpoutLibrary/SpoutLibrary.h)
 * as MSVC lays out its vtable: declaration order, except that all overloads of a name take successive slots in
 * reverse declaration order at the place of the name's first declaration (Microsoft KB Q131104). So the
 * Information section's GetName(std::string) comes right before the sender's GetName(), which moves every later
 * slot up to GetPath by one. The six "graphics preference" methods are present because the distributed DLL is
 * built with the Windows 10 SDK (NTDDI_WIN10_RS4). Older builds (2.007.016 and before) have another layout.
 */
export const SPOUT_VTABLE = [
  // Sender
  'SetSenderName', 'SetSenderFormat', 'ReleaseSender', 'SendFbo', 'SendTexture', 'SendImage', 'IsInitialized',
  'GetName', 'GetName', 'GetWidth', 'GetHeight', 'GetFps', 'GetFrame', 'GetHandle', 'GetCPU', 'GetGLDX',
  // Receiver
  'SetReceiverName', 'GetReceiverName', 'ReleaseReceiver', 'ReceiveTexture', 'ReceiveImage', 'IsUpdated',
  'IsConnected', 'IsFrameNew', 'GetSenderName', 'GetSenderWidth', 'GetSenderHeight', 'GetSenderFormat',
  'GetSenderFps', 'GetSenderFrame', 'GetSenderHandle', 'GetSenderTexture', 'GetSenderCPU', 'GetSenderGLDX',
  'GetHostPath', 'GetSenderList', 'SelectSender', 'SelectSenderPanel',
  // Frame count
  'SetFrameCount', 'DisableFrameCount', 'IsFrameCountEnabled', 'HoldFps', 'GetRefreshRate', 'SetFrameSync',
  'WaitFrameSync', 'EnableFrameSync', 'CloseFrameSync', 'IsFrameSyncEnabled', 'GetVerticalSync', 'SetVerticalSync',
  // Data sharing
  'WriteMemoryBuffer', 'ReadMemoryBuffer', 'CreateMemoryBuffer', 'DeleteMemoryBuffer', 'GetMemoryBufferSize',
  // Log utilities
  'OpenSpoutConsole', 'CloseSpoutConsole', 'EnableSpoutLog', 'EnableSpoutLogFile', 'DisableSpoutLogFile',
  'RemoveSpoutLogFile', 'DisableSpoutLog', 'DisableLogs', 'EnableLogs', 'LogsEnabled', 'LogFileEnabled',
  'GetSpoutLogPath', 'GetSpoutLog', 'ShowSpoutLogs', 'SetSpoutLogLevel', 'SpoutLog', 'SpoutLogVerbose',
  'SpoutLogNotice', 'SpoutLogWarning', 'SpoutLogError', 'SpoutLogFatal',
  // MessageBox (7 + 2 overloads, reversed within each name)
  'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox',
  'SpoutMessageBox', 'SpoutMessageBoxIcon', 'SpoutMessageBoxIcon', 'SpoutMessageBoxButton',
  'SpoutMessageBoxModeless', 'SpoutMessageBoxWindow', 'SpoutMessageBoxPosition', 'CopyToClipBoard', 'OpenSpoutLogs',
  // Registry
  'ReadDwordFromRegistry', 'WriteDwordToRegistry', 'ReadPathFromRegistry', 'WritePathToRegistry',
  'WriteBinaryToRegistry', 'RemovePathFromRegistry', 'RemoveSubKey', 'FindSubKey',
  // Information (GetName(std::string) sits with the sender's GetName() above)
  'GetSDKversion', 'IsLaptop', 'GetCurrentModule', 'GetExeVersion', 'GetExePath', 'GetExeName', 'GetPath',
  // Timing, OpenGL shared texture
  'StartTiming', 'EndTiming', 'BindSharedTexture', 'UnBindSharedTexture', 'GetSharedTextureID',
  // Sender names
  'GetSenderCount', 'GetSender', 'FindSenderName', 'GetSenderInfo', 'GetActiveSender', 'SetActiveSender',
  // User settings
  'GetBufferMode', 'SetBufferMode', 'GetBuffers', 'SetBuffers', 'GetMaxSenders', 'SetMaxSenders',
  // 2.006 compatibility
  'CreateSender', 'UpdateSender', 'CreateReceiver', 'CheckReceiver', 'GetDX9', 'SetDX9', 'GetMemoryShareMode',
  'SetMemoryShareMode', 'GetCPUmode', 'SetCPUmode', 'GetShareMode', 'SetShareMode',
  // Graphics compatibility
  'GetAutoShare', 'SetAutoShare', 'SetCPUshare', 'IsGLDXready',
  // Adapters (GetAdapterInfo overloads reversed)
  'GetNumAdapters', 'GetAdapterName', 'AdapterName', 'GetAdapter', 'GetAdapterInfo', 'GetAdapterInfo',
  // Graphics preference (NTDDI_WIN10_RS4)
  'GetPerformancePreference', 'SetPerformancePreference', 'GetPreferredAdapterName', 'SetPreferredAdapter',
  'IsPreferenceAvailable', 'IsApplicationPath',
  // OpenGL
  'CreateOpenGL', 'CloseOpenGL', 'InitTexture', 'CopyTexture', 'ReadTextureData',
  // Pixel buffers (FlipBuffer overloads reversed)
  'ClearAlpha', 'FlipBuffer', 'FlipBuffer',
  // Formats
  'GetDX11format', 'SetDX11format', 'DX11format', 'GLDXformat', 'GLformat', 'GLformatName',
  // DirectX
  'OpenDirectX', 'CloseDirectX', 'OpenDirectX11', 'CloseDirectX11', 'GetDX11Device', 'GetDX11Context',
  'Release',
] as const;

/** C signatures (after the implicit `this`) of the methods sdlive calls. */
export const SPOUT_SIGNATURES = {
  SetSenderName: ['void', ['str']],
  ReleaseSender: ['void', ['uint32_t']],
  SendImage: ['bool', ['void *', 'uint32_t', 'uint32_t', 'uint32_t', 'bool']],
  SetReceiverName: ['void', ['str']],
  ReleaseReceiver: ['void', []],
  ReceiveImage: ['bool', ['void *', 'uint32_t', 'bool', 'uint32_t']],
  IsUpdated: ['bool', []],
  IsConnected: ['bool', []],
  IsFrameNew: ['bool', []],
  GetSenderName: ['str', []],
  GetSenderWidth: ['uint32_t', []],
  GetSenderHeight: ['uint32_t', []],
  CreateOpenGL: ['bool', ['void *']],
  CloseOpenGL: ['bool', []],
  Release: ['void', []],
} as const satisfies Partial<Record<(typeof SPOUT_VTABLE)[number], readonly [string, readonly string[]]>>;

export type SpoutMethod = keyof typeof SPOUT_SIGNATURES;

export const vtableIndex = (name: SpoutMethod): number => SPOUT_VTABLE.indexOf(name);

export const GL_RGBA = 0x1908;
