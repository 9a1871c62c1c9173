# Builds a ready sdlive network in TouchDesigner. In the Textport:
#     SDLIVE_DIR = r'/path/to/sdlive/patches/touchdesigner'
#     exec(open(SDLIVE_DIR + '/build_sdlive_network.py').read())
# It creates one Base COMP, `sdlive`, in /project1:
#   frames   Windows/macOS: a Syphon Spout Out TOP ("sdlive-in") and In TOP ("sdlive"); anywhere: run
#            SDLIVE_FRAMES = 'shm' in the Textport first for the shared-memory Script TOPs of this folder
#   control  a Constant CHOP whose channel names are sdlive addresses, into an OSC Out CHOP (127.0.0.1:9000, sdlive's
#            osc.port); an OSC Out DAT for strings and commands; an OSC In DAT on 9002 for sdlive's feedback
#   presets  eight buttons that send /sdlive/preset/recall <n> <seconds> (the morph time of the `morph` channel)
# Start sdlive to match: npx sdlive run --config patches/touchdesigner/sdlive-td.json (shared memory); for the
# Syphon/Spout TOPs add --input spout:sdlive-in --output spout:sdlive on Windows (syphon: on macOS).
#
# Operator types and parameter names are those of Derivative's reference pages (docs.derivative.ca): Constant CHOP
# const0name/const0value (a sequence: seq.const.numBlocks), Select CHOP channames, OSC Out CHOP netaddress/port,
# OSC Out DAT address/port and sendOSC(), OSC In DAT port, Syphon Spout In/Out TOP sendername, Script TOP callbacks,
# Text DAT file/syncfile, Button COMP label/buttontype, Panel Execute DAT panels/panelvalue/offtoon. Not yet run
# inside TouchDesigner: a name a build lacks is printed, not fatal (set that one by hand).
import os

HERE = globals().get('SDLIVE_DIR') or (os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else '')
FRAMES = globals().get('SDLIVE_FRAMES', 'texture')  # 'texture' (Syphon/Spout) or 'shm'
HOST, PORT, FEEDBACK_PORT = '127.0.0.1', 9000, 9002
PARENT = '/project1'
# (channel, value): the OSC Out CHOP sends each channel with its name as the address; the names are the short
# addresses of mappings/touchdesigner.json.
CHANNELS = [('delta', 1.0), ('guidance', 1.2), ('tindex1', 32), ('tindex2', 45), ('w1', 1.0), ('w2', 0.0), ('fpscap', 0)]
MORPH_SECONDS = 2.0  # a channel of the Constant CHOP that is not sent: the buttons read it
PRESET_BUTTONS = 8


def _set(node, name, value):
    """Sets a parameter; a name this TouchDesigner build lacks is reported, not fatal."""
    par = getattr(node.par, name, None)
    if par is None:
        print('sdlive: %s has no parameter %s (set it by hand)' % (node.path, name))
        return
    par.val = value


def _text_from_file(comp, name, filename):
    dat = comp.create(textDAT, name)
    _set(dat, 'file', os.path.join(HERE, filename))
    _set(dat, 'syncfile', True)  # loads the file now and follows edits to it
    return dat


def _frames(comp):
    if FRAMES == 'shm':
        _text_from_file(comp, 'sdlive_shm', 'sdlive_shm.py')
        for name, script in (('to_sdlive', 'script_top_to_sdlive.py'), ('from_sdlive', 'script_top_from_sdlive.py')):
            callbacks = _text_from_file(comp, name + '_callbacks', script)
            top = comp.create(scriptTOP, name)
            _set(top, 'callbacks', callbacks.name)
        print('sdlive: wire the TOP to send into %s/to_sdlive, turn on its Cook Every Frame' % comp.path)
        return
    out = comp.create(syphonspoutoutTOP, 'to_sdlive')
    _set(out, 'sendername', 'sdlive-in')
    inp = comp.create(syphonspoutinTOP, 'from_sdlive')
    _set(inp, 'sendername', 'sdlive')
    print('sdlive: wire the TOP to send into %s/to_sdlive' % comp.path)


def _control(comp):
    controls = comp.create(constantCHOP, 'controls')
    values = CHANNELS + [('morph', MORPH_SECONDS)]
    controls.seq.const.numBlocks = len(values)  # a new Constant CHOP has one name/value block
    for i, (name, value) in enumerate(values):
        _set(controls, 'const%dname' % i, name)
        _set(controls, 'const%dvalue' % i, value)
    select = comp.create(selectCHOP, 'to_send')
    _set(select, 'channames', ' '.join(name for name, _ in CHANNELS))
    select.inputConnectors[0].connect(controls)
    chop = comp.create(oscoutCHOP, 'osc_out')
    _set(chop, 'netaddress', HOST)
    _set(chop, 'port', PORT)
    chop.inputConnectors[0].connect(select)
    dat = comp.create(oscoutDAT, 'osc_cmd')
    _set(dat, 'address', HOST)
    _set(dat, 'port', PORT)
    feedback = comp.create(oscinDAT, 'osc_in')
    _set(feedback, 'port', FEEDBACK_PORT)


# Runs in the Panel Execute DAT inside each button: parent() is the button, parent(2) the sdlive COMP.
BUTTON_SCRIPT = '''def onOffToOn(panelValue):
    number = int(me.parent().name.replace('preset', ''))
    network = me.parent(2)
    morph = network.op('controls')['morph'].eval()
    network.op('osc_cmd').sendOSC('/sdlive/preset/recall', [number, morph])
    return
'''


def _presets(comp):
    for n in range(1, PRESET_BUTTONS + 1):
        button = comp.create(buttonCOMP, 'preset%d' % n)
        _set(button, 'label', 'Preset %d' % n)
        _set(button, 'buttontype', 'momentary')
        _set(button, 'x', 10 + (n - 1) * 90)
        script = button.create(panelexecuteDAT, 'on_press')
        _set(script, 'panels', button.path)
        _set(script, 'panelvalue', 'state')
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
