/**
 * The SPOUTLIBRARY interface of SpoutLibrary.dll (Spout 2.007, leadedge/Spout2 SPOUTSDK/SpoutLibrary/SpoutLibrary.h),
 * in declaration order = vtable order. Overloads (SpoutMessageBox, SpoutMessageBoxIcon) take one slot each;
 * MSVC reverses overloads among themselves, which moves no other slot. The six "graphics preference" methods
 * are present because the distributed DLL is built with the Windows 10 SDK (NTDDI_WIN10_RS4).
 */
export const SPOUT_VTABLE = [
  // Sender
  'SetSenderName', 'SetSenderFormat', 'ReleaseSender', 'SendFbo', 'SendTexture', 'SendImage', 'GetName', 'GetWidth',
  'GetHeight', 'GetFps', 'GetFrame', 'GetHandle', 'GetCPU', 'GetGLDX',
  // Receiver
  'SetReceiverName', 'ReleaseReceiver', 'ReceiveTexture', 'ReceiveImage', 'IsUpdated', 'IsConnected', 'IsFrameNew',
  'GetSenderName', 'GetSenderWidth', 'GetSenderHeight', 'GetSenderFormat', 'GetSenderFps', 'GetSenderFrame',
  'GetSenderHandle', 'GetSenderTexture', 'GetSenderCPU', 'GetSenderGLDX', 'GetHostPath', 'GetSenderList', 'SelectSender',
  // Frame count
  'SetFrameCount', 'DisableFrameCount', 'IsFrameCountEnabled', 'HoldFps', 'GetRefreshRate', 'SetFrameSync',
  'WaitFrameSync', 'EnableFrameSync', 'GetVerticalSync', 'SetVerticalSync',
  // Data sharing
  'WriteMemoryBuffer', 'ReadMemoryBuffer', 'CreateMemoryBuffer', 'DeleteMemoryBuffer', 'GetMemoryBufferSize',
  // Log utilities
  'OpenSpoutConsole', 'CloseSpoutConsole', 'EnableSpoutLog', 'EnableSpoutLogFile', 'GetSpoutLog', 'ShowSpoutLogs',
  'DisableSpoutLog', 'SetSpoutLogLevel', 'SpoutLog', 'SpoutLogVerbose', 'SpoutLogNotice', 'SpoutLogWarning',
  'SpoutLogError', 'SpoutLogFatal',
  // MessageBox
  'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBox', 'SpoutMessageBoxIcon',
  'SpoutMessageBoxIcon', 'SpoutMessageBoxButton', 'SpoutMessageBoxModeless', 'SpoutMessageBoxWindow', 'CopyToClipBoard',
  // Registry
  'ReadDwordFromRegistry', 'WriteDwordToRegistry', 'ReadPathFromRegistry', 'WritePathToRegistry',
  'RemovePathFromRegistry', 'RemoveSubKey', 'FindSubKey',
  // Information
  'GetSDKversion', 'IsLaptop', 'GetCurrentModule', 'GetExeVersion', 'GetExePath', 'GetExeName', 'RemovePath', 'RemoveName',
  // Timing
  'StartTiming', 'EndTiming',
  'IsInitialized', 'BindSharedTexture', 'UnBindSharedTexture', 'GetSharedTextureID',
  // Sender names
  'GetSenderCount', 'GetSender', 'FindSenderName', 'GetSenderInfo', 'GetActiveSender', 'SetActiveSender',
  // User settings
  'GetBufferMode', 'SetBufferMode', 'GetBuffers', 'SetBuffers', 'GetMaxSenders', 'SetMaxSenders',
  // 2.006 compatibility
  'CreateSender', 'UpdateSender', 'CreateReceiver', 'CheckReceiver', 'GetDX9', 'SetDX9', 'GetMemoryShareMode',
  'SetMemoryShareMode', 'GetCPUmode', 'SetCPUmode', 'GetShareMode', 'SetShareMode', 'SelectSenderPanel',
  // Graphics compatibility
  'GetAutoShare', 'SetAutoShare', 'IsGLDXready',
  // Adapters
  'GetNumAdapters', 'GetAdapterName', 'AdapterName', 'GetAdapter',
  // Graphics preference (NTDDI_WIN10_RS4)
  'GetPerformancePreference', 'SetPerformancePreference', 'GetPreferredAdapterName', 'SetPreferredAdapter',
  'IsPreferenceAvailable', 'IsApplicationPath',
  // OpenGL
  'CreateOpenGL', 'CloseOpenGL', 'CopyTexture',
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
  CreateOpenGL: ['bool', []],
  CloseOpenGL: ['bool', []],
  Release: ['void', []],
} as const satisfies Partial<Record<(typeof SPOUT_VTABLE)[number], readonly [string, readonly string[]]>>;

export type SpoutMethod = keyof typeof SPOUT_SIGNATURES;

export const vtableIndex = (name: SpoutMethod): number => SPOUT_VTABLE.indexOf(name);

export const GL_RGBA = 0x1908;
