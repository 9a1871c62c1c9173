# Builds a ready sdlive network in TouchDesigner. In the Textport:
#     exec(open(r'/path/to/sdlive/patches/touchdesigner/build_sdlive_network.py').read())
# or put this file in a Text DAT and right-click > Run Script. It creates one Base COMP, `sdlive`, in /project1:
#   frames   Windows/macOS: a Syphon Spout Out TOP ("sdlive-in") and In TOP ("sdlive"); anywhere: set FRAMES = 'shm' for
#            the shared-memory Script TOPs of this folder (config sdlive-td.json)
#   control  a Constant CHOP whose channel names are sdlive addresses, into an OSC Out CHOP (127.0.0.1:9000, sdlive's
#            osc.port); an OSC Out DAT for strings and commands; an OSC In DAT on 9002 for sdlive's feedback
#   presets  eight buttons that send /sdlive/preset/recall <n> (with the morph time of the `morph` channel)
# Start sdlive to match: npx sdlive run --config patches/touchdesigner/sdlive-td.json
# (with FRAMES = 'texture': --input spout:sdlive-in --output spout:sdlive on Windows, syphon: on macOS).
import os

HERE = os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else ''
FRAMES = 'texture'  # or 'shm'
HOST, PORT, FEEDBACK_PORT = '127.0.0.1', 9000, 9002
PARENT = '/project1'
# (channel, value): OSC Out CHOP sends each channel as /<name>; the names are the short addresses of
# mappings/touchdesigner.json, or any /sdlive/... target written without the leading slash.
CHANNELS = [('delta', 1.0), ('guidance', 1.2), ('tindex1', 32), ('tindex2', 45), ('w1', 1.0), ('w2', 0.0), ('fpscap', 0)]
PRESET_BUTTONS = 8


def _set(node, name, value):
    """Sets a parameter; a name this TouchDesigner build lacks is reported, not fatal."""
    par = getattr(node.par, name, None)
    if par is None:
        print('sdlive: %s has no parameter %s (set it by hand)' % (node.path, name))
        return
    par.val = value


def _frames(comp):
    if FRAMES == 'shm':
        for name, script in (('to_sdlive', 'script_top_to_sdlive.py'), ('from_sdlive', 'script_top_from_sdlive.py')):
            callbacks = comp.create(textDAT, name + '_callbacks')
            _set(callbacks, 'file', os.path.join(HERE, script))
            top = comp.create(scriptTOP, name)
            _set(top, 'callbacks', callbacks.name)
        shm = comp.create(textDAT, 'sdlive_shm')
        _set(shm, 'file', os.path.join(HERE, 'sdlive_shm.py'))
        return
    out = comp.create(syphonspoutoutTOP, 'to_sdlive')
    _set(out, 'sendername', 'sdlive-in')
    inp = comp.create(syphonspoutinTOP, 'from_sdlive')
    _set(inp, 'sendername', 'sdlive')


def _control(comp):
    controls = comp.create(constantCHOP, 'controls')
    for i, (name, value) in enumerate(CHANNELS + [('morph', 2.0)]):
        _set(controls, 'name%d' % i, name)
        _set(controls, 'value%d' % i, value)
    select = comp.create(selectCHOP, 'to_send')
    _set(select, 'channames', ' '.join(name for name, _ in CHANNELS))
    select.inputConnectors[0].connect(controls)
    chop = comp.create(oscoutCHOP, 'osc_out')
    _set(chop, 'netaddress', HOST)
    _set(chop, 'port', PORT)
    chop.inputConnectors[0].connect(select)
    dat = comp.create(oscoutDAT, 'osc_cmd')
    _set(dat, 'netaddress', HOST)
    _set(dat, 'port', PORT)
    feedback = comp.create(oscinDAT, 'osc_in')
    _set(feedback, 'port', FEEDBACK_PORT)


BUTTON_SCRIPT = '''def onOffToOn(panelValue):
    number = int(me.parent().name.replace('preset', ''))
    morph = float(op('../controls')['morph'])
    op('../osc_cmd').sendOSC('/sdlive/preset/recall', [number, morph])
'''


def _presets(comp):
    for n in range(1, PRESET_BUTTONS + 1):
        button = comp.create(buttonCOMP, 'preset%d' % n)
        _set(button, 'label', 'Preset %d' % n)
        script = button.create(panelexecuteDAT, 'on_press')
        _set(script, 'panel', button.path)
        _set(script, 'offtoon', True)
        script.text = BUTTON_SCRIPT


def build(parent_path=PARENT):
    parent = op(parent_path)
    old = parent.op('sdlive')
    if old is not None:
        old.destroy()
    comp = parent.create(baseCOMP, 'sdlive')
    _frames(comp)
    _control(comp)
    _presets(comp)
    print('sdlive: network built at %s (OSC to %s:%d, feedback on %d, frames: %s)' % (comp.path, HOST, PORT, FEEDBACK_PORT, FRAMES))
    return comp


if 'op' in globals():
    build()
